// Long-running roles stop on SIGINT or SIGTERM, then shut down cleanly themselves.

/** Resolves at the first SIGINT or SIGTERM, and stops listening for either. */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
