// docker's confirmation prompt: the question and " [y/N] " on stdout, then one line of stdin;
// only y or Y (spaces around allowed) is a yes, and an empty or closed stdin is a no.

export async function confirm(message: string): Promise<boolean> {
  process.stdout.write(`${message} [y/N] `);
  const answer = await readLine(process.stdin);
  return answer.trim().toLowerCase() === 'y';
}

/** The first line of `input` (without its newline), or what came before EOF. */
function readLine(input: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (line: string) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onEnd);
      // Let go of stdin, or a terminal or open pipe would keep the process alive.
      input.pause();
      input.unref?.();
      resolve(line);
    };
    const onData = (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl >= 0) done(text.slice(0, nl));
    };
    const onEnd = () => done(text);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onEnd);
  });
}
