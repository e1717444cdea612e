import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { CitizenRoute } from '../state/citizen-route';
import { LanguageSwitch } from './language-switch';
import { ReportPage } from './report-page';
import { TrackingPage } from './tracking-page';

/** The public pages, for a phone first: report a problem, follow a report. */
export function CitizenApp({ route }: { route: CitizenRoute }) {
  const { t, i18n } = useTranslation();
  useEffect(() => {
    document.title = t('report.pageTitle');
  }, [t, i18n.language]);

  return (
    <div className="citizen-app">
      <header className="citizen-header">
        <div className="citizen-header__text">
          <h1 className="citizen-header__title">{t('report.title')}</h1>
          <p className="citizen-header__org">{t('app.title')}</p>
        </div>
        <LanguageSwitch />
      </header>
      <main className="citizen-main">
        {route.page === 'report' ? <ReportPage /> : <TrackingPage key={route.code ?? route.typed} code={route.code} />}
      </main>
    </div>
  );
}
