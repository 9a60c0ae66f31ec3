// Imported first by every Lambda handler: in the bundle, import.meta.url is the bundle's own
// URL, whose source map (shipped beside it) names the TypeScript sources in stack traces.
import { mapStacksLazily } from './source-maps.ts';

mapStacksLazily(import.meta.url);
