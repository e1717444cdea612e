declare module '*.geojson' {
  const collection: import('geojson').FeatureCollection;
  export default collection;
}

declare module 'virtual:offline-basemap' {
  /** Country outlines; `home` is true for Vietnam. */
  const countries: import('geojson').FeatureCollection<
    import('geojson').Polygon | import('geojson').MultiPolygon,
    { id: string; name: string; home: boolean }
  >;
  export default countries;
}
