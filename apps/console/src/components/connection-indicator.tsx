import { useTranslation } from 'react-i18next';
import type { ConnectionState } from '../hooks/use-console-socket';

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  const { t } = useTranslation();
  return (
    <span className={`connection connection--${state}`} role="status" data-testid="connection-state" data-state={state}>
      <span className="connection__dot" />
      {t(`connection.${state}`)}
    </span>
  );
}
