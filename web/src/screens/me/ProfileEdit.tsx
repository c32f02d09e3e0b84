import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { errorMessage } from '../../app/errors';
import { online } from '../../data/offline';
import { createProfile, deleteProfile, myProfilesQuery, profileConflicts, switchProfile, updateProfile, uploadProfileImage } from '../../data/profiles';
import { useQuery } from '../../data/query';
import { ApiError, type MessageRequests, type Profile } from '../../data/types';
import { t } from '../../i18n';
import { Avatar, Button, ConfirmSheet, ErrorBox, Loading, Screen, Switch, TextField, toast } from '../../ui';
import { ProfileConflict } from './ProfileConflict';
import { paths } from './routes';
import './profile.css';

const REQUEST_CHOICES: readonly { value: MessageRequests; label: 'profile.requestsEveryone' | 'profile.requestsVerifiedWork' | 'profile.requestsNobody' }[] = [
  { value: 'everyone', label: 'profile.requestsEveryone' },
  { value: 'verified_work', label: 'profile.requestsVerifiedWork' },
  { value: 'nobody', label: 'profile.requestsNobody' },
];

/** Create (`/app/me/profiles/new`) or edit (`/app/me/profiles/:id`) one of my profiles. */
export default function ProfileEdit(): JSX.Element {
  const { params } = useRoute();
  const id = params.id;
  const profiles = useQuery(myProfilesQuery());
  const list = profiles.data.value;
  const profile = id ? list?.find((item) => item.id === id) : undefined;
  // The form keeps what it started from; keeping the other device's version starts it afresh.
  const [round, setRound] = useState(0);
  if (id && list === undefined && profiles.error.value) {
    return (
      <Screen title={t('profile.editTitle')} back={paths.home}>
        <ErrorBox message={errorMessage(profiles.error.value)} onRetry={() => void profiles.reload()} retryLabel={t('common.retry')} />
      </Screen>
    );
  }
  if (id && list === undefined) {
    return <Screen title={t('profile.editTitle')} back={paths.home}><Loading label={t('common.loading')} /></Screen>;
  }
  if (id && !profile) {
    return <Screen title={t('profile.editTitle')} back={paths.home}><p class="form-error" role="alert">{t('error.not_found')}</p></Screen>;
  }
  return <ProfileForm key={`${profile?.id ?? 'new'}:${round}`} profile={profile ?? null} onRestart={() => setRound((n) => n + 1)} />;
}

function ProfileForm({ profile, onRestart }: { profile: Profile | null; onRestart: () => void }): JSX.Element {
  const { route } = useLocation();
  const [name, setName] = useState(profile?.name ?? '');
  const [team, setTeam] = useState(profile?.team_name ?? '');
  const [bio, setBio] = useState(profile?.description ?? '');
  const [isPrivate, setPrivate] = useState(profile?.private ?? false);
  const [requests, setRequests] = useState<MessageRequests>(profile?.message_requests ?? 'everyone');
  const [image, setImage] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);

  function pick(event: Event): void {
    const file = (event.currentTarget as HTMLInputElement).files?.[0] ?? null;
    setImage(file);
    setPreview(file ? URL.createObjectURL(file) : null);
  }

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!name.trim()) return setNameError(t('profile.nameRequired'));
    setNameError(null);
    setError(null);
    if (image && !online.value) return setError(t('profile.imageOffline'));
    setBusy(true);
    const fields = { name: name.trim(), team_name: team.trim() || null, description: bio.trim() || null, private: isPrivate };
    let created: Profile | null = null;
    try {
      let saved = profile
        ? await updateProfile(profile.id, profile.message_requests === requests ? fields : { ...fields, message_requests: requests }, profile.version)
        : await createProfile(fields);
      if (!profile) {
        created = saved;
        switchProfile(saved.id);
      }
      if (image) {
        setProgress(0);
        saved = await uploadProfileImage(saved.id, image, setProgress);
      }
      toast(t(profile ? 'profile.saved' : 'profile.created'), 'success');
      route(paths.home, true);
    } catch (failure) {
      if (created) {
        // The profile exists; only its photo failed. Go on editing it (saving again must not make a second one).
        toast(errorMessage(failure, 'profile'), 'error');
        route(paths.editProfile(created.id), true);
        return;
      }
      setBusy(false);
      setProgress(null);
      // Changed on another device meanwhile: the conflict shows above the form.
      if (failure instanceof ApiError && failure.code === 'precondition_failed') return;
      if (failure instanceof ApiError && failure.code === 'validation_error' && failure.fieldMessage('name')) {
        setNameError(failure.fieldMessage('name'));
      } else {
        setError(errorMessage(failure, 'profile'));
      }
    }
  }

  async function remove(): Promise<void> {
    if (!profile) return;
    setBusy(true);
    try {
      await deleteProfile(profile.id, profile.version);
      toast(t('profile.deleted'), 'success');
      route(paths.home, true);
    } catch (failure) {
      setBusy(false);
      setConfirming(false);
      setError(errorMessage(failure, 'profile'));
    }
  }

  const title = profile ? t('profile.editTitle') : t('profile.newTitle');
  const conflict = profile ? profileConflicts.value.get(profile.id) : undefined;
  return (
    <Screen title={title} back={paths.home}>
      {conflict && profile ? (
        <ProfileConflict
          id={profile.id}
          conflict={conflict}
          onTheirs={onRestart}
          onMine={() => {
            toast(t('profile.saved'), 'success');
            route(paths.home, true);
          }}
        />
      ) : null}
      <form class="form" onSubmit={submit} noValidate>
        <div class="profile-photo">
          <Avatar name={name || '?'} src={preview ?? profile?.image_url} size={96} />
          <input ref={fileInput} id="profile-image" class="visually-hidden" type="file" accept="image/png,image/jpeg,image/gif,image/webp" onChange={pick} />
          <label class="btn btn-secondary" for="profile-image">{t('profile.changeImage')}</label>
          {progress !== null ? <p class="field-hint" role="status">{t('profile.uploading', { percent: Math.round(progress * 100) })}</p> : null}
        </div>
        <TextField label={t('profile.name')} value={name} onValue={setName} error={nameError} maxLength={100} required autocomplete="name" />
        <TextField label={t('profile.team')} value={team} onValue={setTeam} optional optionalLabel={t('common.optional')} maxLength={100} autocomplete="organization" />
        <TextField label={t('profile.bio')} value={bio} onValue={setBio} optional optionalLabel={t('common.optional')} multiline rows={4} maxLength={2000} />
        <Switch label={t('profile.private')} hint={t('profile.privateHint')} checked={isPrivate} onChange={setPrivate} />
        {profile ? (
          <fieldset class="profile-requests">
            <legend class="field-label">{t('profile.requests')}</legend>
            <p class="field-hint">{t('profile.requestsHint')}</p>
            {REQUEST_CHOICES.map((choice) => (
              <label class="profile-request-choice" key={choice.value}>
                <input type="radio" name="message_requests" value={choice.value} checked={requests === choice.value} onChange={() => setRequests(choice.value)} />
                <span>{t(choice.label)}</span>
              </label>
            ))}
          </fieldset>
        ) : null}
        {error ? <p class="form-error" role="alert">{error}</p> : null}
        <Button type="submit" block busy={busy} busyLabel={t('common.saving')}>{t('common.save')}</Button>
        {profile ? <Button variant="ghost" block onClick={() => setConfirming(true)}>{t('profile.delete')}</Button> : null}
      </form>
      {profile ? (
        <ConfirmSheet
          open={confirming}
          title={t('profile.delete')}
          message={t('profile.deleteConfirm', { name: profile.name })}
          confirmLabel={t('common.delete')}
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onClose={() => setConfirming(false)}
        />
      ) : null}
    </Screen>
  );
}
