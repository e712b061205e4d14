// The storage seam. SQLite (better-sqlite3) is the default; a PostgreSQL implementation fills the same
// interface when a shop scales out. One contract suite (test/store.contract.test.ts) runs against each.

/** An event as the server stores it, after validation and clock-skew correction. */
export interface StoredEvent {
  event_id: string;
  type: 'track' | 'page' | 'identify';
  name: string;
  /** Event time on the server's clock (client ts corrected by the batch's sent_at), epoch ms. */
  ts: number;
  /** When the server received it, epoch ms. */
  received_at: number;
  visitor_id: string;
  session_id: string;
  path: string | null;
  campaign_id: string | null;
  user_id: string | null;
  /** JSON-serialisable properties, or null. */
  props: Record<string, unknown> | null;
}

export interface EventQuery {
  name?: string;
  visitor_id?: string;
  campaign_id?: string;
  /** Most recent first; default 100. */
  limit?: number;
}

export interface Store {
  /**
   * Stores a batch atomically: either every new event is committed or none is. Events whose event_id is
   * already stored are skipped (retries are deduplicated). Resolves only after the commit is durable, with
   * how many rows were new.
   */
  insertEvents(events: StoredEvent[]): Promise<{ inserted: number; duplicates: number }>;
  queryEvents(q?: EventQuery): Promise<StoredEvent[]>;
  countEvents(): Promise<number>;
  /** Cheap liveness check for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
