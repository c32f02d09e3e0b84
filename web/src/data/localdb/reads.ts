/**
 * Reads of synced entities from the local copy, in the API's shapes and orders (the data
 * modules use them through `synced(...)`; screens never know the difference). JSON columns
 * are parsed, 0/1 columns become booleans.
 */
import type { Card, Contact, MessageRequests, Profile, Subscription } from '../../api';
import { localRows } from '../sync';
import type { Row } from './index';

const json = <T>(value: unknown, fallback: T): T => (typeof value === 'string' ? (JSON.parse(value) as T) : fallback);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function profileFromRow(row: Row): Profile {
  return {
    id: String(row.id),
    name: String(row.name),
    team_name: text(row.team_name),
    description: text(row.description),
    email: text(row.email),
    phone: text(row.phone),
    address: text(row.address),
    sns: json(row.sns, {}),
    data: json(row.data, {}),
    image_url: text(row.image_url),
    private: row.private === 1,
    version: Number(row.version ?? 0),
    created_at: String(row.created_at ?? ''),
    updated_at: String(row.updated_at ?? ''),
    mine: row.mine === 1,
    message_requests: requestsSetting(row.message_requests),
  };
}

function requestsSetting(value: unknown): MessageRequests | null {
  return value === 'everyone' || value === 'verified_work' || value === 'nobody' ? value : null;
}

export function cardFromRow(row: Row): Card {
  return {
    id: String(row.id),
    profile_id: String(row.profile_id),
    name: String(row.name),
    data: json(row.data, {}),
    preview_url: text(row.preview_url),
    private: row.private === 1,
    version: Number(row.version),
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
    verified: json(row.verified, []),
  };
}

export function contactFromRow(row: Row): Contact {
  return {
    id: String(row.id),
    profile_id: String(row.profile_id),
    name: String(row.name),
    organization: text(row.organization),
    title: text(row.title),
    phones: json(row.phones, []),
    emails: json(row.emails, []),
    urls: json(row.urls, []),
    address: text(row.address),
    note: text(row.note),
    image_url: text(row.image_url),
    version: Number(row.version),
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
  };
}

export async function localMyProfiles(): Promise<Profile[]> {
  const rows = await localRows('SELECT * FROM profiles WHERE mine = 1 ORDER BY created_at, id');
  if (rows.length === 0) throw new Error('no profiles in the local copy');
  return rows.map(profileFromRow);
}

export async function localWallet(profileId: string): Promise<Subscription[]> {
  const rows = await localRows(
    `SELECT c.*, s.subscribed_at AS subscribed_at FROM subscriptions s JOIN cards c ON c.id = s.card_id
     WHERE s.profile_id = ? ORDER BY s.subscribed_at, s.card_id`,
    [profileId],
  );
  return rows.map((row) => ({ card: cardFromRow(row), subscribed_at: String(row.subscribed_at) }));
}

export async function localContacts(profileId: string): Promise<Contact[]> {
  const rows = await localRows('SELECT * FROM contacts WHERE profile_id = ? ORDER BY created_at, id', [profileId]);
  return rows.map(contactFromRow);
}

export async function localContact(profileId: string, id: string): Promise<Contact> {
  const rows = await localRows('SELECT * FROM contacts WHERE profile_id = ? AND id = ?', [profileId, id]);
  const row = rows[0];
  if (!row) throw new Error('not in the local copy');
  return contactFromRow(row);
}

/** The cards of one of my profiles (the copy holds all of them; other people's only in part). */
export async function localMyCards(profileId: string): Promise<Card[]> {
  const mine = await localRows('SELECT 1 FROM profiles WHERE id = ? AND mine = 1', [profileId]);
  if (mine.length === 0) throw new Error('not one of my profiles');
  const rows = await localRows('SELECT * FROM cards WHERE profile_id = ? ORDER BY created_at, id', [profileId]);
  return rows.map(cardFromRow);
}

export async function localCard(id: string): Promise<Card> {
  const rows = await localRows('SELECT * FROM cards WHERE id = ?', [id]);
  const row = rows[0];
  if (!row) throw new Error('not in the local copy');
  return cardFromRow(row);
}
