import type { AreaRef, IncidentAction, IncidentDetailDto, IncidentDto, TeamDto, UserDto } from '@ioc/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiRequestError } from '../api/api-client';
import { formatDateTime } from '../format/format';
import { availableActions, incidentGroup, pendingDeadline } from '../state/incident-state';

interface IncidentCardProps {
  incident: IncidentDto;
  /** For the name of the area an incident groups its devices by. */
  areas: readonly AreaRef[];
  user: Pick<UserDto, 'role' | 'teamId'>;
  /** Teams to dispatch to; empty for users who may not dispatch. */
  teams: TeamDto[];
  onChanged: (incident: IncidentDetailDto) => void;
  /** Shows the incident's device on the map (operations room). */
  onSelect?: (deviceId: string) => void;
}

/** The label of an incident's state; a dispatched incident whose team is there says so. */
function stateKey(incident: IncidentDto): string {
  return incident.state === 'dispatched' && incident.onSiteAt !== null ? 'incidents.onSite' : `incidents.state.${incident.state}`;
}

export function IncidentCard({ incident, areas, user, teams, onChanged, onSelect }: IncidentCardProps) {
  const { t } = useTranslation();
  const { id, deviceId } = incident;
  const group = incidentGroup(incident, areas);
  const deadline = pendingDeadline(incident);
  return (
    <article
      className={`incident-card incident-card--${incident.severity}`}
      data-testid={`incident-${id}`}
      data-state={incident.state}
      aria-labelledby={`incident-title-${id}`}
    >
      <div className="incident-card__head">
        <span className={`severity-chip severity-chip--${incident.severity}`}>{t(`severity.${incident.severity}`)}</span>
        <span className={`incident-state incident-state--${incident.state}`} data-testid={`incident-state-${id}`}>
          {t(stateKey(incident))}
        </span>
        {incident.escalationLevel > 0 && (
          <span className="incident-card__escalated" data-testid={`incident-escalated-${id}`}>
            {t('incidents.escalated', { level: incident.escalationLevel })}
          </span>
        )}
        <time className="incident-card__time" dateTime={incident.openedAt}>
          {formatDateTime(incident.openedAt)}
        </time>
      </div>
      {onSelect && deviceId !== null ? (
        <button type="button" id={`incident-title-${id}`} className="incident-card__title incident-card__title--link" onClick={() => onSelect(deviceId)}>
          {incident.title}
        </button>
      ) : (
        <h3 id={`incident-title-${id}`} className="incident-card__title">
          {incident.title}
        </h3>
      )}
      {incident.source !== 'rule' && (
        <p className="incident-card__report" data-testid={`incident-report-${id}`}>
          {t(`incidents.source.${incident.source}`)}
          {incident.category !== null && ` · ${t(`incidents.category.${incident.category}`)}`}
          {incident.description !== null && ` · ${incident.description}`}
        </p>
      )}
      {deadline !== null && (
        <p
          className={`incident-card__deadline${deadline.breached ? ' incident-card__deadline--breached' : ''}`}
          data-testid={`incident-deadline-${id}`}
          data-breached={deadline.breached}
        >
          {deadline.breached
            ? `${t(deadline.deadline === 'acknowledge' ? 'incidents.overdueAcknowledge' : 'incidents.overdueResolve')} · `
            : ''}
          {t(deadline.deadline === 'acknowledge' ? 'incidents.acknowledgeDue' : 'incidents.resolveDue', {
            time: formatDateTime(deadline.dueAt),
          })}
        </p>
      )}
      {(group !== null || incident.teamName !== null || !incident.alertActive) && (
        <p className="incident-card__facts">
          {group !== null && (
            <span data-testid={`incident-devices-${id}`}>
              {group.areaName !== null && `${t('incidents.area', { area: group.areaName })} · `}
              {t('incidents.deviceCount', { count: group.deviceCount })}
            </span>
          )}
          {incident.teamName !== null && <span>{t('incidents.team', { team: incident.teamName })}</span>}
          {!incident.alertActive && <span>{t('incidents.alertCleared')}</span>}
        </p>
      )}
      <IncidentActions incident={incident} user={user} teams={teams} onChanged={onChanged} />
    </article>
  );
}

type Form = 'dispatch' | 'resolve';

function IncidentActions({ incident, user, teams, onChanged }: Omit<IncidentCardProps, 'areas' | 'onSelect'>) {
  const { t } = useTranslation();
  const [form, setForm] = useState<Form | null>(null);
  const [teamId, setTeamId] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const actions = availableActions(incident, user).filter((action) => action !== 'dispatch' || teams.length > 0);
  if (actions.length === 0) return null;

  const run = (action: IncidentAction, body: { note?: string; teamId?: number }) => {
    setBusy(true);
    setFailure(null);
    api.incidentAction(incident.id, action, body).then(
      (changed) => {
        setForm(null);
        setNote('');
        setBusy(false);
        onChanged(changed);
      },
      (error: unknown) => {
        setFailure(error instanceof ApiRequestError ? error.message : String(error));
        setBusy(false);
      },
    );
  };
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmed = note.trim() === '' ? undefined : note.trim();
    if (form === 'dispatch') run('dispatch', { teamId: Number(teamId), note: trimmed });
    else run('resolve', { note: trimmed });
  };
  const label = (action: IncidentAction) => t(action === 'acknowledge' && user.role === 'field' ? 'incidents.action.onSite' : `incidents.action.${action}`);

  return (
    <div className="incident-actions">
      {form === null ? (
        <div className="incident-actions__buttons">
          {actions.map((action) => (
            <button
              key={action}
              type="button"
              className={`incident-button incident-button--${action}`}
              data-testid={`incident-action-${action}`}
              disabled={busy}
              onClick={() => (action === 'dispatch' || action === 'resolve' ? setForm(action) : run(action, {}))}
            >
              {label(action)}
            </button>
          ))}
        </div>
      ) : (
        <form className="incident-form" onSubmit={onSubmit} aria-busy={busy}>
          {form === 'dispatch' && (
            <label className="incident-form__field">
              <span>{t('incidents.chooseTeam')}</span>
              <select name="teamId" required value={teamId} disabled={busy} onChange={(e) => setTeamId(e.target.value)}>
                <option value="" disabled>
                  {t('incidents.chooseTeam')}
                </option>
                {teams.map((team) => (
                  <option key={team.id} value={team.id} disabled={team.id === incident.teamId}>
                    {team.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="incident-form__field">
            <span>{t(form === 'resolve' ? 'incidents.resolveNote' : 'incidents.note')}</span>
            <textarea
              name="note"
              rows={3}
              maxLength={2000}
              required={form === 'resolve'}
              placeholder={form === 'resolve' ? t('incidents.resolveNotePlaceholder') : undefined}
              value={note}
              disabled={busy}
              onChange={(e) => setNote(e.target.value)}
            />
          </label>
          <div className="incident-actions__buttons">
            <button type="submit" className="incident-button incident-button--confirm" data-testid="incident-confirm" disabled={busy}>
              {label(form)}
            </button>
            <button type="button" className="incident-button" disabled={busy} onClick={() => setForm(null)}>
              {t('incidents.cancel')}
            </button>
          </div>
        </form>
      )}
      {failure !== null && (
        <p className="incident-actions__error" role="alert">
          {t('incidents.failed')}: <span data-testid="incident-error">{failure}</span>
        </p>
      )}
    </div>
  );
}
