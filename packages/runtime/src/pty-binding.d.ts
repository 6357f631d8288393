declare module '@lydell/node-pty/requireBinary' {
  export function requireBinary(file: 'pty.node'): {
    open(cols: number, rows: number): { master: number; slave: number; pty: string };
    resize(fd: number, cols: number, rows: number): void;
  };
}
