import { useEffect } from 'react';
import type { Role } from '@ioc/contracts';
import { useAuthState } from './auth/console-auth';
import { CitizenApp } from './components/citizen-app';
import { ConsoleScreen } from './components/console-screen';
import { FieldScreen } from './components/field-screen';
import { LoginScreen } from './components/login-screen';
import { usePathname } from './hooks/use-pathname';
import { citizenRoute } from './state/citizen-route';

/** Field teams work from their phones at /field; everyone else at /. */
const FIELD_PATH = '/field';
const pathOf = (role: Role) => (role === 'field' ? FIELD_PATH : '/');

/** Citizens' pages (/phan-anh) need no login and come before any; every other path is the staff's. */
export function App() {
  const route = citizenRoute(usePathname());
  if (route !== null) return <CitizenApp route={route} />;
  return <StaffApp />;
}

function StaffApp() {
  const auth = useAuthState();
  const path = auth.status === 'signed-out' ? null : pathOf(auth.user.role);
  useEffect(() => {
    if (path !== null && window.location.pathname !== path) window.history.replaceState(null, '', path);
  }, [path]);

  if (auth.status === 'signed-out') return <LoginScreen ended={auth.ended} />;
  // Keyed by user: someone else logging in starts from a clean console.
  if (auth.user.role === 'field') return <FieldScreen key={auth.user.id} user={auth.user} />;
  return <ConsoleScreen key={auth.user.id} user={auth.user} />;
}
