import { useAuthState } from './auth/console-auth';
import { ConsoleScreen } from './components/console-screen';
import { LoginScreen } from './components/login-screen';

export function App() {
  const auth = useAuthState();
  if (auth.status === 'signed-out') return <LoginScreen ended={auth.ended} />;
  // Keyed by user: someone else logging in starts from a clean console.
  return <ConsoleScreen key={auth.user.id} user={auth.user} />;
}
