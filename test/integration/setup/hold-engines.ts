// Test fixture: start kinesis-mock, print its process ids as JSON, then wait to be killed.
import { startEngines } from '../../../local/engines/index';

const engines = await startEngines({ dynamodb: false });
process.stdout.write(`${JSON.stringify(engines.processes)}\n`);
setInterval(() => {}, 60_000);
