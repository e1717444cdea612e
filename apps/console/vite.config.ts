import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { geoDataPlugin } from './vite/geo-data-plugin.ts';

const consoleRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const server = 'http://localhost:3000';

export default defineConfig({
  root: consoleRoot,
  plugins: [react(), geoDataPlugin()],
  resolve: {
    alias: [
      { find: /^@ioc\/contracts$/, replacement: `${repoRoot}libs/contracts/src/index.ts` },
      { find: /^@ioc\/areas\/data\//, replacement: `${repoRoot}libs/areas/data/` },
    ],
  },
  build: {
    outDir: `${repoRoot}dist/console`,
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Libraries change less often than the console: separate chunks stay cached across releases.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'leaflet', test: /node_modules[\\/](leaflet|react-leaflet|@react-leaflet)[\\/]/ },
            { name: 'vendor', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
