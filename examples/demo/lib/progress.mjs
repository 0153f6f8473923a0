// Progress while a variant runs: a bar redrawn in place on a terminal, dots
// (one per tenth) when the output is a file or a CI log.
export function progress(label, total) {
  const out = process.stdout;
  const tty = out.isTTY === true;
  const width = 30;
  let done = 0;
  let dots = 0;
  const draw = () => {
    const filled = Math.round((done / total) * width);
    out.write(`\r  ${label}  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total}`);
  };
  if (tty) draw();
  else out.write(`  ${label} `);
  return {
    tick() {
      done += 1;
      if (tty) draw();
      else {
        const due = Math.floor((done / total) * 10);
        if (due > dots) {
          out.write('.'.repeat(due - dots));
          dots = due;
        }
      }
    },
    finish(summary) {
      if (tty) out.write(`\r\x1b[K  ${label}  ${summary}\n`);
      else out.write(` ${summary}\n`);
    },
  };
}
