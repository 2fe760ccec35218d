import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { APP_PATHS } from './src/paths.ts';

const apiTarget = `http://127.0.0.1:${process.env.API_PORT ?? 3000}`;

/** The app's page paths beside index.html: the server answers other paths with a real 404. */
function routesManifest(): Plugin {
  return {
    name: 'bastion-routes-manifest',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'routes.json', source: `${JSON.stringify(APP_PATHS)}\n` });
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), routesManifest()],
  server: {
    port: 5173,
    strictPort: true,
    // Proxied rather than cross-origin, so the API's httpOnly SameSite=Strict cookies just work.
    proxy: { '/trpc': { target: apiTarget }, '/api': { target: apiTarget } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The production CSP allows only 'self': keep every asset (even tiny ones) out of data: URLs.
    assetsInlineLimit: 0,
  },
});
