// The command-line handling the benchmarks share: parse, print the usage on --help, refuse bad flags
// with the usage and exit code 2.

/** The parsed options, or undefined when the bench should stop (help printed, or bad flags). */
export function readOptions<T extends { help: boolean }>(parse: () => T, usage: string): T | undefined {
  let options: T;
  try {
    options = parse();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    process.exitCode = 2;
    return undefined;
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return options;
}
