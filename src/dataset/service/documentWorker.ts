/** The worker thread that runs the {@link DocumentService} for the extension host. */
import { parentPort } from 'node:worker_threads';
import type { HostMessage, ServiceMessage } from './documentProtocol';
import { DocumentService } from './documentService';

const port = parentPort!;
const service = new DocumentService((message: ServiceMessage) => port.postMessage(message));
port.on('message', (message: HostMessage) => {
  try {
    service.handle(message);
  } catch (error) {
    // A bug must not end the service: every open document would lose its checks.
    port.postMessage({ type: 'service/log', level: 'error', message: `The document service failed on ${message.type}: ${error instanceof Error ? error.stack ?? error.message : String(error)}` } satisfies ServiceMessage);
    if (message.type === 'request') port.postMessage({ type: 'response', id: message.id, result: undefined } satisfies ServiceMessage);
  }
});
