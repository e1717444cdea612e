import type { AreaDto } from '@ioc/contracts';
import { useEffect, useState } from 'react';
import { api } from '../api/api-client';
import { BUNDLED_PILOT_AREAS } from '../geo/pilot-areas';

/** The server's areas, or the bundled pilot areas until (or unless) the server gives some. */
export function useAreas(): AreaDto[] {
  const [areas, setAreas] = useState<AreaDto[]>(BUNDLED_PILOT_AREAS);
  useEffect(() => {
    // The bundled areas stay when the server has none or cannot be reached.
    api.areas().then(
      (loaded) => {
        if (loaded.length > 0) setAreas(loaded);
      },
      () => undefined,
    );
  }, []);
  return areas;
}
