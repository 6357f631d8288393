/** Runtime version reported by `chainctl health`; a release build may replace it (esbuild --define). */
export const RUNTIME_VERSION = '0.1.0';
/** Version of the `serve --stdio` protocol and of every --json shape; bumped on incompatible changes. */
export { PROTOCOL_VERSION } from '@paddock/contracts';
