import type { ComponentChildren, JSX } from 'preact';
import { isSummary, knownName, personQuery, type Person } from '../../data/people';
import { useQuery } from '../../data/query';
import { t } from '../../i18n';
import { Avatar } from '../../ui';
import { paths } from './routes';
import './people.css';

export function personSubtitle(person: Person): string | undefined {
  if (isSummary(person)) return t('people.privateProfile');
  return [person.team_name, person.private ? t('people.private') : null].filter(Boolean).join(' · ') || undefined;
}

/** A row: the person (a link to their profile) and, beside the link, buttons acting on them. */
function Row({ id, name, image, subtitle, actions }: { id: string; name: string; image?: string | null | undefined; subtitle?: string | undefined; actions?: ComponentChildren }): JSX.Element {
  return (
    <li class="row-item">
      <div class="person-row">
        <a class="person-link row-action" href={paths.person(id)}>
          <Avatar name={name} src={image} />
          <span class="row-text">
            <span class="row-title">{name}</span>
            {subtitle ? <span class="row-subtitle">{subtitle}</span> : null}
          </span>
        </a>
        {actions ? <span class="person-actions">{actions}</span> : null}
      </div>
    </li>
  );
}

/** A row for a profile id (loads it; a profile out of sight keeps the name seen in this session, if any). */
export function PersonRow({ id, actions }: { id: string; actions?: ComponentChildren }): JSX.Element {
  const q = useQuery(personQuery(id));
  const person = q.data.value;
  const seen = person?.name ?? knownName(id);
  const name = seen ?? (q.error.value ? t('people.unavailable') : t('common.loading'));
  const subtitle = person ? personSubtitle(person) : q.error.value ? t('people.outOfSight') : undefined;
  return <Row id={id} name={name} image={person?.image_url} subtitle={subtitle} actions={actions} />;
}

/** A row for a profile already loaded (search results). */
export function PersonResult({ person, actions }: { person: Person; actions?: ComponentChildren }): JSX.Element {
  return <Row id={person.id} name={person.name} image={person.image_url} subtitle={personSubtitle(person)} actions={actions} />;
}
