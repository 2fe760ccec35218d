import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const apiTarget = `http://127.0.0.1:${process.env.API_PORT ?? 3000}`;

export default defineConfig({
  plugins: [react(), tailwindcss()],
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
