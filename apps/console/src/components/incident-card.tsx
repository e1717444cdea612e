import type { AreaRef, IncidentAction, IncidentDetailDto, IncidentDto, TeamDto, UserDto } from '@ioc/contracts';
import { useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiRequestError } from '../api/api-client';
import { formatDateTime, formatDistance } from '../format/format';
import type { Place } from '../geo/distance';
import { useLanguage } from '../i18n/i18n';
import {
  availableActions,
  incidentGroup,
  mayAddPhoto,
  mayHavePhotos,
  mergeCandidates,
  pendingDeadline,
  placeAreaName,
} from '../state/incident-state';
import { IncidentPhotos } from './incident-photos';
import { PhotoCapture } from './photo-capture';

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
  /** The other incidents on screen, for a report to be merged into one of them. */
  others?: readonly IncidentDto[];
  /** Where each device is, to tell how far a report is from a device's incident. */
  devicePlaces?: Readonly<Record<string, Place>>;
  /** Field teams photograph the site before and after the work. */
  capturePhotos?: boolean;
}

const NO_INCIDENTS: readonly IncidentDto[] = [];
const NO_PLACES: Readonly<Record<string, Place>> = {};

/** The label of an incident's state; a dispatched incident whose team is there says so. */
function stateKey(incident: IncidentDto): string {
  return incident.state === 'dispatched' && incident.onSiteAt !== null ? 'incidents.onSite' : `incidents.state.${incident.state}`;
}

export function IncidentCard({
  incident,
  areas,
  user,
  teams,
  onChanged,
  onSelect,
  others = NO_INCIDENTS,
  devicePlaces = NO_PLACES,
  capturePhotos = false,
}: IncidentCardProps) {
  const { t } = useTranslation();
  const { id, deviceId } = incident;
  const group = incidentGroup(incident, areas);
  const deadline = pendingDeadline(incident);
  // Only a rule's incident has an alert to clear; a reported one never had one.
  const alertCleared = incident.source === 'rule' && !incident.alertActive;
  // Bumped after an upload from this card, in case the change event comes later.
  const [photosSeen, setPhotosSeen] = useState(0);
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
        <span className="incident-card__number">#{id}</span>
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
      {incident.source !== 'rule' && <ReportDetails incident={incident} areas={areas} />}
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
      {(group !== null || incident.teamName !== null || alertCleared) && (
        <p className="incident-card__facts">
          {group !== null && (
            <span data-testid={`incident-devices-${id}`}>
              {group.areaName !== null && `${t('incidents.area', { area: group.areaName })} · `}
              {t('incidents.deviceCount', { count: group.deviceCount })}
            </span>
          )}
          {incident.teamName !== null && <span>{t('incidents.team', { team: incident.teamName })}</span>}
          {alertCleared && <span>{t('incidents.alertCleared')}</span>}
        </p>
      )}
      {mayHavePhotos(incident) && <IncidentPhotos incidentId={id} version={`${incident.updatedAt}#${photosSeen}`} />}
      {capturePhotos && mayAddPhoto(incident, user) && <PhotoCapture incidentId={id} onUploaded={() => setPhotosSeen((n) => n + 1)} />}
      <IncidentActions incident={incident} user={user} teams={teams} onChanged={onChanged} others={others} devicePlaces={devicePlaces} />
    </article>
  );
}

/** What a citizen or a caller reported: what, where, and who to call back. */
function ReportDetails({ incident, areas }: { incident: IncidentDto; areas: readonly AreaRef[] }) {
  const { t } = useTranslation();
  const { id, location, reporterPhone } = incident;
  const areaName = placeAreaName(incident, areas);
  return (
    <div className="incident-card__report" data-testid={`incident-report-${id}`}>
      <p className="incident-card__report-kind">
        {t(`incidents.source.${incident.source}`)}
        {incident.category !== null && ` · ${t(`incidents.category.${incident.category}`)}`}
      </p>
      {incident.description !== null && (
        <p className="incident-card__description" data-testid={`incident-description-${id}`}>
          {incident.description}
        </p>
      )}
      {(location !== null || reporterPhone !== null) && (
        <p className="incident-card__facts">
          {location !== null && (
            <span data-testid={`incident-place-${id}`}>
              {t('incidents.place')}: {areaName !== null && `${areaName} · `}
              {location.lat.toFixed(5)}, {location.lng.toFixed(5)}
            </span>
          )}
          {reporterPhone !== null && (
            <span>
              {t('incidents.callBack')}:{' '}
              <a className="incident-card__phone" href={`tel:${reporterPhone}`} data-testid={`incident-phone-${id}`}>
                {reporterPhone}
              </a>
            </span>
          )}
        </p>
      )}
    </div>
  );
}

/** The actions that ask for something first; the others are one tap. */
const FORMS = ['dispatch', 'resolve', 'reject', 'merge'] as const;
type Form = (typeof FORMS)[number];
const isForm = (action: IncidentAction): action is Form => (FORMS as readonly string[]).includes(action);

const NOTE_LABELS: Record<Form, string> = {
  dispatch: 'incidents.note',
  resolve: 'incidents.resolveNote',
  reject: 'incidents.rejectReason',
  merge: 'incidents.note',
};
const NOTE_PLACEHOLDERS: Record<Form, string | undefined> = {
  dispatch: undefined,
  resolve: 'incidents.resolveNotePlaceholder',
  reject: 'incidents.rejectReasonPlaceholder',
  merge: undefined,
};

type IncidentActionsProps = Pick<IncidentCardProps, 'incident' | 'user' | 'teams' | 'onChanged'> & {
  others: readonly IncidentDto[];
  devicePlaces: Readonly<Record<string, Place>>;
};

function IncidentActions({ incident, user, teams, onChanged, others, devicePlaces }: IncidentActionsProps) {
  const { t } = useTranslation();
  const [form, setForm] = useState<Form | null>(null);
  const [teamId, setTeamId] = useState('');
  const [mergeInto, setMergeInto] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const actions = availableActions(incident, user).filter((action) => action !== 'dispatch' || teams.length > 0);
  if (actions.length === 0) return null;

  const send = (request: Promise<IncidentDetailDto>) => {
    setBusy(true);
    setFailure(null);
    request.then(
      (changed) => {
        setForm(null);
        setNote('');
        setMergeInto('');
        setBusy(false);
        onChanged(changed);
      },
      (error: unknown) => {
        setFailure(error instanceof ApiRequestError ? error.message : String(error));
        setBusy(false);
      },
    );
  };
  const run = (action: IncidentAction, body: { note?: string; teamId?: number }) => send(api.incidentAction(incident.id, action, body));
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const trimmed = note.trim() === '' ? undefined : note.trim();
    if (form === 'dispatch') run('dispatch', { teamId: Number(teamId), note: trimmed });
    else if (form === 'reject') send(api.rejectIncident(incident.id, { reason: note.trim() }));
    else if (form === 'merge') send(api.mergeIncident(incident.id, { incidentId: Number(mergeInto), note: trimmed }));
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
              onClick={() => (isForm(action) ? setForm(action) : run(action, {}))}
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
          {form === 'merge' && (
            <MergeTargets report={incident} others={others} devicePlaces={devicePlaces} value={mergeInto} disabled={busy} onChange={setMergeInto} />
          )}
          <label className="incident-form__field">
            <span>{t(NOTE_LABELS[form])}</span>
            <textarea
              name={form === 'reject' ? 'reason' : 'note'}
              rows={3}
              maxLength={2000}
              required={form === 'resolve' || form === 'reject'}
              placeholder={NOTE_PLACEHOLDERS[form] && t(NOTE_PLACEHOLDERS[form])}
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

interface MergeTargetsProps {
  report: IncidentDto;
  others: readonly IncidentDto[];
  devicePlaces: Readonly<Record<string, Place>>;
  /** The chosen incident's id, as typed or picked. */
  value: string;
  disabled: boolean;
  onChange: (id: string) => void;
}

/** The incident a report repeats: one of the nearest being handled, or any by its number. */
function MergeTargets({ report, others, devicePlaces, value, disabled, onChange }: MergeTargetsProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const candidates = useMemo(() => mergeCandidates(report, others, devicePlaces), [report, others, devicePlaces]);
  return (
    <fieldset className="incident-form__field merge-targets" data-testid="merge-targets">
      <legend>{t('incidents.mergeChoose')}</legend>
      {candidates.length === 0 ? (
        <p className="merge-targets__none">{t('incidents.mergeNone')}</p>
      ) : (
        <ul className="merge-targets__list" aria-label={t('incidents.mergeNearby')}>
          {candidates.map(({ incident, distanceM }) => (
            <li key={incident.id}>
              <label className="merge-targets__option">
                <input
                  type="radio"
                  name={`merge-into-${report.id}`}
                  value={incident.id}
                  checked={value === String(incident.id)}
                  disabled={disabled}
                  data-testid={`merge-target-${incident.id}`}
                  onChange={() => onChange(String(incident.id))}
                />
                <span className="merge-targets__title">
                  #{incident.id} {incident.title}
                </span>
                <span className="merge-targets__distance">
                  {distanceM === null ? t('incidents.distanceUnknown') : t('incidents.distance', { distance: formatDistance(distanceM, language) })}
                </span>
              </label>
            </li>
          ))}
        </ul>
      )}
      <label className="merge-targets__by-id">
        <span>{t('incidents.mergeById')}</span>
        <input
          type="number"
          name="incidentId"
          min={1}
          step={1}
          inputMode="numeric"
          required
          value={value}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
    </fieldset>
  );
}
