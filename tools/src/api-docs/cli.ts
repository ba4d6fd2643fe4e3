import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { asyncApiYaml } from './asyncapi';

// `npm run api-docs`: writes docs/api/ from the zod schemas; tests check the committed files
// equal a fresh generation, so run this after changing an event or a request schema.
const docs = resolve(__dirname, '..', '..', '..', 'docs', 'api');
writeFileSync(join(docs, 'asyncapi.yaml'), asyncApiYaml());
console.log(`wrote ${join(docs, 'asyncapi.yaml')}`);
