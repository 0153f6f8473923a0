/*
 * The resource of connmetrics' own pipeline: the SDK defaults, then the
 * detectors OTEL_NODE_RESOURCE_DETECTORS names (NodeSDK's default set), then
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  serviceInstanceIdDetector,
  type Resource,
  type ResourceDetector,
} from '@opentelemetry/resources';
import { EnvReader } from './env';
import { checkKeyValueList, type ResourceDetectorName, type Settings } from './settings';

/** The detectors OTEL_NODE_RESOURCE_DETECTORS can name, in NodeSDK's order. */
const DETECTORS: ReadonlyArray<readonly [ResourceDetectorName, ResourceDetector]> = [
  ['serviceinstance', serviceInstanceIdDetector],
  ['process', processDetector],
  ['host', hostDetector],
  ['os', osDetector],
];

export function createResource(settings: Settings, reader: EnvReader): Resource {
  // The env detector discards the whole of OTEL_RESOURCE_ATTRIBUTES on a bad
  // entry, as the specification says, but only logs at debug level: say so.
  checkKeyValueList(reader, 'OTEL_RESOURCE_ATTRIBUTES', 'attribute', 'the whole variable is ignored, as the specification requires', {
    equalsInValue: false,
    emptyValue: true,
    maxLength: 255,
  });
  const detectors = DETECTORS.filter(([name]) => settings.resourceDetectors.includes(name)).map(([, detector]) => detector);
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are configuration, not
  // detection: they always apply, last, so that what the user set wins.
  detectors.push(envDetector);
  return defaultResource().merge(detectResources({ detectors }));
}
