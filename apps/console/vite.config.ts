import { defineConfig } from 'vite';

// The API serves the build under /console (apps/api/src/http/console-static.ts). No React plugin: Vite's own
// transform (oxc) compiles TSX; fast refresh is not needed for a build the API serves.
export default defineConfig({
  base: '/console/',
  root: import.meta.dirname,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Vite inlines small assets as data: URLs by default; the CSP allows data: for images only, so keep files.
    assetsInlineLimit: 0,
    rolldownOptions: {
      // TanStack Query marks its files "use client" (a React Server Components hint): meaningless in an SPA bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
