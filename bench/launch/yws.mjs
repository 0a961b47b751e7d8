// @ts-check
// y-websocket-server 0.1.1 as its own bin/server.js runs it (ws + setupWSConnection), plus GET /stats
// so the bench can see when a document has been unloaded. With YPERSISTENCE set, utils.js stores every
// update in LevelDB and unloads a document when its last connection leaves.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { docs, setupWSConnection } from '@y/websocket-server/utils';

const wss = new WebSocketServer({ noServer: true });
const server = http.createServer((request, response) => {
  if (request.url === '/stats') {
    let connections = 0;
    for (const doc of docs.values()) connections += doc.conns.size;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ docs: docs.size, connections }));
    return;
  }
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end('okay');
});
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => setupWSConnection(ws, request));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
