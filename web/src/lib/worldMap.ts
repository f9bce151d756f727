// The world map for ECharts: Natural Earth country shapes (world-atlas, TopoJSON) turned into
// GeoJSON whose features are named by ISO 3166-1 alpha-2 code, the form flow records carry
// in src_country / dst_country.

import countries from 'i18n-iso-countries';
import en from 'i18n-iso-countries/langs/en.json';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';
import { echarts } from './echarts';

export const WORLD = 'world';

countries.registerLocale(en);

let registered = false;

export function registerWorld(): void {
  if (registered) return;
  const topo = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const geo = feature(topo, topo.objects.countries);
  // Antarctica has no peers and, spanning every longitude, draws as a band.
  geo.features = geo.features.filter((f) => String(f.id) !== '010');
  for (const f of geo.features) {
    if (f.geometry) f.geometry = unwrapped(f.geometry);
    const code = f.id !== undefined ? countries.numericToAlpha2(String(f.id).padStart(3, '0')) : undefined;
    f.properties = { ...f.properties, name: code ?? f.properties?.name ?? '' };
  }
  echarts.registerMap(WORLD, geo as unknown as Parameters<typeof echarts.registerMap>[1]);
  registered = true;
}

type Ring = number[][];

/**
 * Rings that cross the antimeridian (Russia's far east, Fiji) have points at both -180 and
 * +180 and would be filled across the whole map: their western points are moved to the edge.
 */
function fixRing(ring: Ring): Ring {
  let min = Infinity;
  let max = -Infinity;
  for (const [lon] of ring) {
    min = Math.min(min, lon);
    max = Math.max(max, lon);
  }
  if (max - min <= 180) return ring;
  return ring.map(([lon, lat]) => [lon < 0 ? 180 : lon, lat]);
}

function unwrapped<G extends { type: string }>(g: G): G {
  const geom = g as unknown as { type: string; coordinates: unknown };
  if (geom.type === 'Polygon') return { ...g, coordinates: (geom.coordinates as Ring[]).map(fixRing) };
  if (geom.type === 'MultiPolygon') return { ...g, coordinates: (geom.coordinates as Ring[][]).map((p) => p.map(fixRing)) };
  return g;
}

/** A country's English name from its alpha-2 code. */
export function countryName(code: string): string {
  return countries.getName(code, 'en') ?? code;
}
