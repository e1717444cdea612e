import type { UserDto } from '@ioc/contracts';
import { useTranslation } from 'react-i18next';
import type { ConnectionState } from '../hooks/use-console-socket';
import { ConnectionIndicator } from './connection-indicator';
import { LanguageSwitch } from './language-switch';

interface HeaderBarProps {
  connection: ConnectionState;
  user: UserDto;
  onLogout: () => void;
}

export function HeaderBar({ connection, user, onLogout }: HeaderBarProps) {
  const { t } = useTranslation();
  return (
    <header className="header-bar">
      <h1 className="header-bar__title">{t('app.title')}</h1>
      <ConnectionIndicator state={connection} />
      <LanguageSwitch />
      <span className="current-user" data-testid="current-user">
        <span className="current-user__name" data-testid="current-user-name">
          {user.displayName}
        </span>
        <span className="current-user__role" data-testid="current-user-role">
          {t(`role.${user.role}`)}
        </span>
      </span>
      <button type="button" className="header-bar__logout" data-testid="logout" onClick={onLogout}>
        {t('login.logout')}
      </button>
    </header>
  );
}
