import { useTranslation } from 'react-i18next';
import type { ReportFailure } from '../state/report-form';

/** Why a citizen's request failed, in our words, with the server's own message when it says more. */
export function FailureNotice({ failure, testId }: { failure: ReportFailure; testId: string }) {
  const { t } = useTranslation();
  return (
    <div className="citizen-error" role="alert" data-testid={testId} data-reason={failure.reason}>
      <p className="citizen-error__line">{t(`report.failure.${failure.reason}`)}</p>
      {failure.serverMessage !== null && <p className="citizen-error__detail">{failure.serverMessage}</p>}
    </div>
  );
}
