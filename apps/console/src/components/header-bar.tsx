import { useTranslation } from 'react-i18next';
import type { ConnectionState } from '../hooks/use-console-socket';
import { ConnectionIndicator } from './connection-indicator';
import { LanguageSwitch } from './language-switch';

export function HeaderBar({ connection }: { connection: ConnectionState }) {
  const { t } = useTranslation();
  return (
    <header className="header-bar">
      <h1 className="header-bar__title">{t('app.title')}</h1>
      <ConnectionIndicator state={connection} />
      <LanguageSwitch />
    </header>
  );
}
