// Start an HTTP server and say plainly why it could not start ("port 3000 is in use"), rather
// than printing Node's EADDRINUSE stack.
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';

export class ListenError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'ListenError';
  }
}

export function listen(app: Express, port: number, host: string, what: string): Promise<Server> {
  // Not app.listen: Express 5 calls its callback on failure too, as if the server had started.
  return new Promise((resolve, reject) => {
    const s = createServer(app);
    s.listen(port, host, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      const envVar = what === 'the playground' ? 'PORT' : 'DASHBOARD_PORT';
      if (err.code === 'EADDRINUSE') reject(new ListenError(`${what} cannot start: port ${port} is in use (another program listens there); set ${envVar} to a free port`, err.code));
      else if (err.code === 'EACCES') reject(new ListenError(`${what} cannot start: port ${port} needs privileges here; set ${envVar} to a port above 1023`, err.code));
      else reject(err);
    });
  });
}
