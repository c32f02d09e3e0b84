/** The API's resources as the contract (docs/api.md) shapes them. */

export type Uuid = string;
/** RFC 3339 in UTC. */
export type Timestamp = string;

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface User {
  id: Uuid;
  email: string;
  username: string;
  nickname: string | null;
  email_verified: boolean;
  role: 'user' | 'admin';
  created_at: Timestamp;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
  session_id: Uuid;
  user: User;
}

export interface SessionInfo {
  id: Uuid;
  device_name: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  current: boolean;
}

export interface Profile {
  id: Uuid;
  name: string;
  team_name: string | null;
  description: string | null;
  email: string | null;
  phone: string | null;
  address: string | null;
  sns: Record<string, string>;
  data: Record<string, unknown>;
  image_url: string | null;
  private: boolean;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  mine: boolean;
  /** Who may start a chat with this profile without being followed by it (the owner's alone; null for others). */
  message_requests?: MessageRequests | null;
}

/** Who may send a profile message requests. */
export type MessageRequests = 'everyone' | 'verified_work' | 'nobody';

/** A private profile seen by a non-follower. */
export interface ProfileSummary {
  id: Uuid;
  name: string;
  image_url: string | null;
  private: true;
}

export interface ProfileInput {
  name?: string;
  team_name?: string | null;
  description?: string | null;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
  sns?: Record<string, string>;
  data?: Record<string, unknown>;
  private?: boolean;
  message_requests?: MessageRequests;
}

export type RelationStatus = 'follow' | 'follow_requested' | 'hide' | 'block';

export interface Relation {
  profile_id: Uuid;
  target_id: Uuid;
  status: RelationStatus;
  created_at: Timestamp;
}

/** One of a card's addresses, proven read by its owner; `work` is false at free-mail domains. */
export interface VerifiedEmail {
  email: string;
  domain: string;
  verified_at: Timestamp;
  expires_at: Timestamp;
  work: boolean;
}

export interface Card {
  id: Uuid;
  profile_id: Uuid;
  name: string;
  data: Record<string, unknown>;
  preview_url: string | null;
  private: boolean;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Verified addresses (docs/api.md, "Verified emails on cards"); compare `expires_at`. */
  verified: VerifiedEmail[];
}

export interface CardInput {
  name?: string;
  data?: Record<string, unknown>;
  private?: boolean;
}

export interface ShareLink {
  token: string;
  url: string;
}

export interface Subscription {
  card: Card;
  subscribed_at: Timestamp;
}

export interface StoredFile {
  id: Uuid;
  content_type: string;
  size: number;
  sha256: string;
  url: string;
}

export interface ContactValue {
  value: string;
  type?: string | null;
}

export interface Contact {
  id: Uuid;
  profile_id: Uuid;
  name: string;
  organization: string | null;
  title: string | null;
  phones: ContactValue[];
  emails: ContactValue[];
  urls: string[];
  address: string | null;
  note: string | null;
  image_url: string | null;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ContactInput {
  name?: string;
  organization?: string | null;
  title?: string | null;
  phones?: ContactValue[];
  emails?: ContactValue[];
  urls?: string[];
  address?: string | null;
  note?: string | null;
}

export interface Scored<T> {
  value: T;
  confidence: number;
}

export interface ScanFields {
  name: Scored<string> | null;
  organization: Scored<string> | null;
  title: Scored<string> | null;
  address: Scored<string> | null;
  phones: Scored<ContactValue>[];
  emails: Scored<ContactValue>[];
  urls: Scored<string>[];
}

export interface ScanSuggestion {
  card_id: Uuid;
  profile_id: Uuid;
  card_name: string;
  profile_name: string;
  matched: 'email' | 'phone';
  value: string;
}

export interface Scan {
  id: Uuid;
  profile_id: Uuid;
  status: 'pending' | 'done' | 'failed';
  failure: string | null;
  fields: ScanFields | null;
  raw_text: string | null;
  suggestions: ScanSuggestion[];
  image_url: string | null;
  contact_id: Uuid | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface Chat {
  id: Uuid;
  title: string | null;
  direct: boolean;
  owner_profile_id: Uuid;
  my_profile_id: Uuid;
  participant_count: number;
  last_event_index: number;
  last_event_at: Timestamp | null;
  unread_count: number;
  read_index: number;
  muted: boolean;
  created_at: Timestamp;
  /** The newest event (the list's last message); absent in answers kept before servers had it. */
  last_event?: ChatEvent | null;
  /** Unread messages that mention my profile. */
  unread_mentions?: number;
  /** A message request I have not answered (it is in my requests, not in my chats). */
  request?: boolean;
}

/** A message request as its invitee sees it: the chat, who asked, their first message. */
export interface ChatRequest {
  chat: Chat;
  inviter_profile_id: Uuid | null;
  inviter_verified_work: boolean;
  first_message: ChatEvent | null;
  requested_at: Timestamp;
}

export interface Participant {
  profile_id: Uuid;
  joined_at: Timestamp;
  owner: boolean;
}

export type ChatEventType =
  | 'member_joined'
  | 'member_left'
  | 'member_kicked'
  | 'message'
  | 'message_edited'
  | 'message_deleted'
  | 'message_preview'
  | 'chat_updated'
  | 'reaction_added'
  | 'reaction_removed'
  | 'message_pinned'
  | 'message_unpinned';

export interface ReactionCount {
  emoji: string;
  count: number;
  mine: boolean;
}

export interface MessageReactions {
  chat_id: Uuid;
  index: number;
  reactions: ReactionCount[];
  event: ChatEvent | null;
}

export interface Pin {
  index: number;
  pinned_by: Uuid;
  pinned_at: Timestamp;
  message: ChatEvent;
}

/** A message's link preview (attached by the server after the post; `image` is our own file). */
export interface LinkPreview {
  url: string;
  title?: string | null;
  description?: string | null;
  site_name?: string | null;
  image?: string | null;
}

export interface ChatEvent {
  chat_id: Uuid;
  index: number;
  type: ChatEventType;
  profile_id: Uuid;
  created_at: Timestamp;
  body?: string | null;
  file?: StoredFile | null;
  target_index?: number | null;
  target_profile_id?: Uuid | null;
  edited_at?: Timestamp | null;
  deleted_at?: Timestamp | null;
  preview?: LinkPreview | null;
  /** On a message: its reactions; on a reaction event: the message's after the change. */
  reactions?: ReactionCount[] | null;
  reply_count?: number | null;
  last_reply_at?: Timestamp | null;
  forwarded?: { profile_id: Uuid; created_at: Timestamp } | null;
}

/** A message kept to be sent at `send_at` (POST .../messages with `send_at` answers 202 with it). */
export interface ScheduledMessage {
  id: Uuid;
  chat_id: Uuid;
  profile_id: Uuid;
  body: string | null;
  file: StoredFile | null;
  reply_to: number | null;
  send_at: Timestamp;
  status: 'scheduled' | 'sent' | 'cancelled';
  cancel_reason: string | null;
  sent_index: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EventsPage {
  events: ChatEvent[];
  next_after: number;
}

export interface AppPassword {
  id: Uuid;
  name: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
}
