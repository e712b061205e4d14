// The single source of truth for what a marketer may write in kairos.yaml and what a browser may send.
// Types come from z.infer; /schema.json comes from z.toJSONSchema. The widget imports *types* from here
// (`import type`), never zod itself.
import { z } from 'zod';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use 1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit');

/** An IANA time-zone name that this runtime knows, e.g. Europe/Berlin. */
const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)' },
);

/** Local wall-clock time in the schedule's time zone, or an instant with an explicit offset. */
const dateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?$/,
    'use an ISO date or date-time, e.g. 2026-07-01 or 2026-07-01T09:00',
  );

export const Schedule = z
  .object({
    start: dateTime.optional().describe('When the campaign starts, local to `timezone` unless an offset is given.'),
    end: dateTime.optional().describe('When the campaign ends, local to `timezone` unless an offset is given.'),
    timezone: timeZone.default('UTC').describe('IANA time zone the start and end are written in.'),
  })
  .strict();

/** Path globs: `*` matches within one path segment, `**` across segments. */
const pathGlob = z.string().regex(/^\//, 'a page pattern starts with "/" (e.g. /products/**)');

export const Pages = z
  .object({
    include: z.array(pathGlob).default(['/**']).describe('Show only on paths matching one of these globs.'),
    exclude: z.array(pathGlob).default([]).describe('Never show on paths matching one of these globs.'),
  })
  .strict();

/** A link is a site-relative path or an http(s) URL: never javascript: or data:. */
const safeUrl = z
  .string()
  .refine((u) => /^\/(?!\/)/.test(u) || /^https?:\/\//i.test(u), {
    message: 'a link is a path starting with "/" or an http(s):// URL',
  });

const cssColor = z
  .string()
  .regex(/^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+|(rgb|hsl)a?\([\d\s.,%/]+\))$/, 'a CSS colour such as #1a1a2e or white');

const campaignBase = {
  id: id.describe('Stable id used in reports, events and ?kairos_preview=<id>.'),
  enabled: z.boolean().default(true).describe('The switch: false hides the campaign without deleting it.'),
  priority: z.number().int().min(0).max(1000).default(0).describe('Higher wins when several campaigns could show.'),
  schedule: Schedule.optional(),
  pages: Pages.default({ include: ['/**'], exclude: [] }),
};

export const AnnouncementBar = z
  .object({
    ...campaignBase,
    type: z.literal('announcement_bar'),
    position: z.enum(['top', 'bottom']).default('bottom').describe('Bars overlay the page (no layout shift).'),
    content: z
      .object({
        text: z.string().min(1).max(280).describe('Shown as plain text, never as HTML.'),
        link: z
          .object({ label: z.string().min(1).max(60), url: safeUrl })
          .strict()
          .optional(),
        dismissible: z.boolean().default(true),
      })
      .strict(),
    theme: z
      .object({ background: cssColor.default('#1f2a44'), color: cssColor.default('#ffffff') })
      .strict()
      .default({ background: '#1f2a44', color: '#ffffff' }),
  })
  .strict();

/** Campaigns are a discriminated union on `type`; later campaign types join this list. */
export const Campaign = z.discriminatedUnion('type', [AnnouncementBar]);

export const KairosConfig = z
  .object({
    $schema: z.string().optional(),
    site: z
      .object({
        name: z.string().min(1).default('My shop'),
        allowed_origins: z
          .array(z.string().regex(/^https?:\/\/[^/]+$/, 'an origin such as https://shop.example (no path)'))
          .default([])
          .describe('Origins (besides the server itself) allowed to call the API from a browser.'),
      })
      .strict()
      .default({ name: 'My shop', allowed_origins: [] }),
    campaigns: z.array(Campaign).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.campaigns.forEach((c, i) => {
      const first = seen.get(c.id);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', path: ['campaigns', i, 'id'], message: `duplicate id "${c.id}" (also campaigns[${first}])` });
      else seen.set(c.id, i);
    });
  });

export type KairosConfig = z.infer<typeof KairosConfig>;
export type Campaign = z.infer<typeof Campaign>;
export type AnnouncementBar = z.infer<typeof AnnouncementBar>;

// ---------------------------------------------------------------------------------------------------------
// What /v1/config sends to browsers: only the public part, with schedules resolved to UTC instants so the
// widget never does time-zone arithmetic.

// Omit over each union member: a plain Omit<Campaign, …> keeps only the keys all campaign types share.
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type PublicCampaign = OmitEach<Campaign, 'enabled' | 'schedule'> & {
  /** UTC epoch milliseconds; absent means open-ended. */
  schedule?: { start?: number; end?: number };
};

export interface PublicConfig {
  /** Content hash of this compiled config; also the ETag. */
  version: string;
  campaigns: PublicCampaign[];
}

// ---------------------------------------------------------------------------------------------------------
// Events: POST /v1/events takes a batch as a text/plain JSON body (no CORS preflight).

const jsonScalar = z.union([z.string().max(2000), z.number().finite(), z.boolean(), z.null()]);
/** Properties stay shallow and small: scalars, or arrays/objects of scalars (e.g. a product list). */
const propValue = z.union([
  jsonScalar,
  z.array(z.union([jsonScalar, z.record(z.string().max(100), jsonScalar)])).max(100),
  z.record(z.string().max(100), jsonScalar),
]);

const token = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'an opaque id of 8–64 characters [A-Za-z0-9_-]');

export const EventInput = z
  .object({
    event_id: token.describe('Client-generated, unique per event; retries reuse it and are stored once.'),
    type: z.enum(['track', 'page', 'identify']),
    name: z.string().min(1).max(200),
    ts: z.number().int().positive().describe('Client clock, epoch ms.'),
    visitor_id: token,
    session_id: token,
    path: z.string().max(2000).regex(/^\//, 'a path starting with "/"').optional(),
    campaign_id: id.optional(),
    user_id: z.string().min(1).max(200).optional(),
    props: z
      .record(z.string().max(100), propValue)
      .refine((p) => Object.keys(p).length <= 50, 'at most 50 properties')
      .optional(),
  })
  .strict();

export const EventBatch = z
  .object({
    sent_at: z.number().int().positive().describe('Client clock when the batch was sent; corrects clock skew.'),
    events: z.array(EventInput).min(1, 'a batch holds at least one event').max(100, 'a batch holds at most 100 events'),
  })
  .strict();

export type EventInput = z.infer<typeof EventInput>;
export type EventBatch = z.infer<typeof EventBatch>;
