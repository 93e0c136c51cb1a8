/**
 * Every command of `segments` with its options, their defaults and examples: the one description that the help,
 * the suggestions and the parsing all use (lambdas/cli/args.ts). Kept free of heavy imports so that `--help` and a
 * mistyped command answer at once; each command module parses its own arguments with its spec from here.
 */
import type { CommandSpec, OptionDef } from './args';
import { BORDERLINE_MARGIN } from '../core/model/margin';
import { STORE_ENV } from '../contract/env';

const json = { help: 'print machine-readable JSON on stdout instead of the text for people' } satisfies OptionDef;
const quiet = { help: 'no progress on stderr (progress shows only when stderr is a terminal)' } satisfies OptionDef;
const state = { value: 'DIR', help: 'the local state of `npm start` (emulated S3 and DynamoDB, generated data, outputs)', default: '.local' } satisfies OptionDef;

/** The --json and --quiet options, for commands described elsewhere (the benchmarks, bench/specs.ts). */
export { json as jsonOption, quiet as quietOption };

/** Where the store commands read: the local state of `npm start`, or a deployed stack with --aws. */
const STORE_OPTIONS = {
  aws: { help: 'read the table of a deployed stack (credentials and region from the usual AWS chain) instead of the local state' },
  table: { value: 'NAME', help: 'the table to read (the stack output TableName)', defaultText: 'TABLE_NAME from the environment with --aws; the local table otherwise' },
  region: { value: 'REGION', help: 'AWS region with --aws', defaultText: 'AWS_REGION, or the profile’s' },
  state,
  json,
};

/** The options of every command that segments an export folder (run, report). */
const SEGMENT_EXPORT_OPTIONS = {
  data: { value: 'DIR', help: 'the folder holding the export’s CSV files', required: true },
  out: { value: 'DIR', help: 'the folder to write to (created if needed; files appear only once complete)', required: true },
  k: { value: 'N', help: 'number of segments, 2 to 20', defaultText: 'chosen by the rule among 4..8' },
  'as-of': { value: 'DATE', help: 'segment the data as it was on this date (YYYY-MM-DD, end of day, or YYYY-MM-DD HH:MM:SS, UTC)', defaultText: 'the last purchase in the data' },
  seed: { value: 'N', help: 'random seed of the k-means initialisations', defaultText: '20181017' },
  'max-invalid-rows': { value: 'N', help: 'invalid rows tolerated per file (skipped and counted) before the export is rejected', default: '0' },
};

export const START = {
  name: 'start',
  summary: 'the main job (npm start): the stack’s pipeline run locally, on generated data or on --data DIR',
  description: [
    'Uploads a dataset to the emulated S3 bucket of the local stack (state in --state), lets the same functions as in AWS',
    'ingest it, train and write the segments to the emulated DynamoDB table, then prints the active model and its segments.',
    'A dataset is processed once: running again on the same data says so and shows the active model.',
  ].join('\n'),
  options: {
    data: { value: 'DIR', help: 'an Olist export folder to process', defaultText: 'a generated export of --customers customers (seed 1), in STATE/data' },
    'dataset-id': { value: 'ID', help: 'the dataset id to upload under (a new id processes the same data again)', defaultText: 'the folder name and a hash of its files' },
    customers: { value: 'N', help: 'customers of the generated default dataset', default: '20000' },
    k: { value: 'N', help: 'number of segments, 2 to 20', defaultText: 'chosen by the rule among 4..8' },
    'distributed-above': {
      value: 'N',
      help: 'send exports of more than N people (estimated from the customers table) to the distributed path (the Step Functions state machine, run locally from its definition)',
      defaultText: 'the estimate of what one function can train and write within its limits (about 470,000 people at the default write budget)',
    },
    fresh: { help: 'start from an empty local state: deletes the emulated buckets and table and the outputs in --state (generated data is kept)' },
    state,
    logs: { help: 'show the functions’ logs' },
    'no-iam': { help: 'run the functions without the deployed roles’ IAM policies (enforced by default)' },
    serve: { help: 'keep the local stack running on fixed ports for any S3 client, with the stability check on a timer, until Ctrl-C' },
    's3-port': { value: 'PORT', help: 'with --serve: the S3 port (0: a free one)', defaultText: '4568' },
    'dynamodb-port': { value: 'PORT', help: 'with --serve: the DynamoDB port (0: a free one)', defaultText: '4567' },
    'events-port': { value: 'PORT', help: 'with --serve: the local EventBridge port (0: a free one)', defaultText: '4569' },
    schedule: { value: 'EVERY', help: 'with --serve: the stability check timer: 30s, 5m, 2h, 7d, rate(7 days) or off', defaultText: 'rate(7 days), as deployed' },
    quiet,
  },
  examples: [
    'npm start',
    'npm start -- --data ~/olist',
    'npm start -- --fresh',
    'npm start -- --data ~/olist --distributed-above 50000',
    'npx segments start --serve --schedule 5m',
    'npx segments start --data ~/olist --k 6 --state /tmp/segments-state',
  ],
} satisfies CommandSpec;

export const RUN = {
  name: 'run',
  summary: 'segment the customers of an Olist export: summary.json, model.json, segments.json, assignments.csv',
  options: { ...SEGMENT_EXPORT_OPTIONS, 'full-silhouette': { help: 'silhouette on every customer', defaultText: 'a seeded sample of 10,000' }, json, quiet },
  examples: ['npx segments run --data ~/olist --out out/olist', 'npx segments run --data ~/olist --out out/olist --k 6 --json > summary.json'],
} satisfies CommandSpec;

export const ASSIGN = {
  name: 'assign',
  summary: 'label the customers of new data with an existing model (its own fitted transforms, nothing refitted)',
  options: {
    model: { value: 'FILE', help: 'model.json written by `segments run`', required: true },
    data: { value: 'DIR', help: 'the folder holding the new export’s CSV files', required: true },
    out: { value: 'DIR', help: 'where to write assignments.csv and assign-summary.json', required: true },
    'as-of': SEGMENT_EXPORT_OPTIONS['as-of'],
    json,
    quiet,
  },
  examples: ['npx segments assign --model out/olist/model.json --data ~/olist-november --out out/november'],
} satisfies CommandSpec;

export const GENERATE = {
  name: 'generate',
  summary: 'write a synthetic export in the exact Olist format (all 8 tables), calibrated on the real export',
  options: {
    customers: { value: 'N', help: 'number of customers (people)', required: true },
    seed: { value: 'N', help: 'random seed: the same seed gives the same files', default: '1' },
    out: { value: 'DIR', help: 'the folder to write the CSV files to', required: true },
    json,
    quiet,
  },
  examples: ['npx segments generate --customers 5000 --out /tmp/olist-5k', 'npx segments generate --customers 1000000 --seed 7 --out /tmp/olist-1m'],
} satisfies CommandSpec;

export const QUERY = {
  name: 'query',
  summary: 'a customer’s segment and why they are in it, or the customers of a segment (highest spend first, or borderline first)',
  options: {
    customer: { value: 'ID', help: 'a customer_unique_id: its segment, why (the features that set them apart, against the typical customer), the next nearest segment and the margin, features and previous segment' },
    segment: { value: 'ID', help: 'a segment id (as `segments segments` lists them): its customers, one page at a time' },
    borderline: { help: `with --segment: only its borderline customers (margin below ${BORDERLINE_MARGIN}: nearly as close to another segment), smallest margin first` },
    limit: { value: 'N', help: 'customers per page, 1 to 1000', default: '20' },
    cursor: { value: 'C', help: 'the next page, as the previous page printed it' },
    order: { value: 'ORDER', help: 'spendDesc or spendAsc (not with --borderline)', default: 'spendDesc' },
    ...STORE_OPTIONS,
  },
  examples: [
    'npx segments query --segment 2 --limit 50',
    'npx segments query --segment 2 --limit 1000 --json > segment-2.json',
    'npx segments query --customer 8d50f5eadf50201ccdcedfb9e2ac8455',
    'npx segments query --customer 8d50f5eadf50201ccdcedfb9e2ac8455 --json',
    'npx segments query --segment 2 --borderline --limit 50',
    'npx segments query --segment 2 --aws --table SegmentsTable',
  ],
} satisfies CommandSpec;

export const EXPORT = {
  name: 'export',
  summary: 'a campaign list: every customer of one segment as CSV (for spreadsheets and e-mail tools) or JSON lines, streamed',
  description: [
    'Writes every customer of the segment in the active model (or --version), highest spend first, exactly the customers',
    '`segments query --segment N` pages through, read page by page: memory stays the same for any segment size.',
    'CSV columns: customer_unique_id, segment_id, segment_name, action, recency_days, orders, spend, review_score, margin,',
    'runner_up_segment_id (RFC 4180; text that a spreadsheet would run as a formula is neutralised). JSON lines: one object',
    'per customer with every feature and the reason codes. The stack writes the same CSV files at every activation under',
    'exports/<version>/ in the artifacts bucket, with a manifest (counts, checksums).',
  ].join('\n'),
  options: {
    segment: { value: 'ID', help: 'the segment id (as `segments segments` lists them)', required: true },
    out: { value: 'FILE', help: 'the file to write (it appears only once complete)', defaultText: 'standard output' },
    format: { value: 'FORMAT', help: 'csv or jsonl', default: 'csv' },
    version: { value: 'VERSION', help: 'a model version (as `segments models` lists them)', defaultText: 'the active one' },
    ...STORE_OPTIONS,
    json: { help: 'with --out: print the summary (file, rows, bytes, sha256) as JSON on stdout' },
    quiet,
  },
  examples: [
    'npx segments export --segment 2 --out segment-2.csv',
    'npx segments export --segment 2 --format jsonl > segment-2.jsonl',
    'npx segments export --segment 0 --aws --table SegmentsTable --out loyal.csv --json',
  ],
} satisfies CommandSpec;

export const SEGMENTS = {
  name: 'segments',
  summary: 'the segments of the active model with their ids, descriptions and actions',
  options: STORE_OPTIONS,
  examples: ['npx segments segments', 'npx segments segments --aws --table SegmentsTable --json'],
} satisfies CommandSpec;

export const MODELS = {
  name: 'models',
  summary: 'model versions and the stability-check history; --prune applies the retention policy to the local table',
  options: {
    ...STORE_OPTIONS,
    prune: { help: 'delete old superseded versions and abandoned drafts from the local table (lists what it kept and why)' },
    keep: { value: 'N', help: 'with --prune: complete versions kept besides the active one and its rollback target', defaultText: '3' },
    'dry-run': { help: 'with --prune: say what would be deleted, delete nothing' },
  },
  examples: ['npx segments models', 'npx segments models --prune --dry-run'],
} satisfies CommandSpec;

export const FORGET = {
  name: 'forget',
  summary: 'a deletion request (LGPD/GDPR): remove one person from the table, the buckets and later trainings',
  description: [
    'Puts the person on the suppression list (a salted hash, not the id: every later ingest and training leaves them out),',
    'rewrites every stored object that names them without them (raw exports, feature tables, assignments.csv, reports,',
    'error reports; older S3 object versions that name them are deleted), deletes their assignment in every model version',
    'and redacts run records that quote their ids. Prints what was removed and stores that report (without the id) as',
    'erasures/<time>-<tag>.json in the artifacts bucket. Locally it works on the state of `npm start` (and its copies in',
    'STATE/out); with --aws on a deployed stack, with the operator’s credentials (docs/operations-and-faults.md#deletion-requests).',
  ].join('\n'),
  options: {
    customer: { value: 'ID', help: 'the customer_unique_id of the person', required: true },
    aws: { help: 'work on a deployed stack (credentials and region from the usual AWS chain) instead of the local state' },
    table: { value: 'NAME', help: 'with --aws: the table (stack output TableName)', defaultText: STORE_ENV.tableName },
    'raw-bucket': { value: 'NAME', help: 'with --aws: the raw bucket (stack output RawBucketName)', defaultText: STORE_ENV.rawBucket },
    'artifacts-bucket': { value: 'NAME', help: 'with --aws: the artifacts bucket (stack output ArtifactsBucketName)', defaultText: STORE_ENV.artifactsBucket },
    region: STORE_OPTIONS.region,
    state,
    json,
    quiet,
  },
  examples: ['npx segments forget --customer 8d50f5eadf50201ccdcedfb9e2ac8455', 'npx segments forget --customer 8d50f5eadf50201ccdcedfb9e2ac8455 --aws --table T --raw-bucket R --artifacts-bucket A --json'],
} satisfies CommandSpec;

export const SIMULATE = {
  name: 'simulate',
  summary: 'the update-frequency simulation over the data’s time axis: how long a model stays valid (stability.json)',
  options: {
    data: { value: 'DIR', help: 'the folder holding the export’s CSV files', required: true },
    out: { value: 'DIR', help: 'where to write stability.json', default: '.' },
    start: { value: 'DATE', help: 'first origin (YYYY-MM-DD)', defaultText: 'when enough customers have a delivered order' },
    step: { value: 'DURATION', help: 'days between simulated dates (7d, 2w, 14); origins are 8 weeks apart', defaultText: '14d' },
    horizon: { value: 'DURATION', help: 'how far after each origin to compare', defaultText: '52w' },
    threshold: { value: 'X', help: 'the ARI below which a model is no longer valid', defaultText: '0.8' },
    seeds: { value: 'N', help: 'seeds per origin and date', defaultText: '3' },
    k: { value: 'N', help: 'number of segments, fixed for every origin', defaultText: 'chosen at each origin by the production rule, from the data up to it' },
    'full-horizon': { help: 'measure up to --horizon even after the agreement has crossed the threshold', defaultText: 'stop at twice the crossing, at least 8 weeks past it' },
    unoptimised: { help: 'the reference method of the benchmark: the whole horizon, and model stability at every candidate k (same points, more work)' },
    json,
    quiet,
  },
  examples: ['npx segments simulate --data ~/olist --out out/olist', 'npx segments simulate --data ~/olist --step 7d --horizon 26w --seeds 3'],
} satisfies CommandSpec;

export const CHECK = {
  name: 'check',
  summary: 'the scheduled stability check, locally: a model against fresh fits on the latest data (ARI, drift, age)',
  options: {
    model: { value: 'FILE', help: 'model.json written by `segments run`', required: true },
    data: { value: 'DIR', help: 'the folder holding the latest export’s CSV files', required: true },
    stability: { value: 'FILE', help: 'stability.json from `segments simulate`: its recommended cadence and threshold are the contract checked', defaultText: 'none' },
    threshold: { value: 'X', help: 'the ARI below which the model is reported as drifted', defaultText: '0.8, or the simulation’s' },
    'cadence-days': { value: 'N', help: 'the model is overdue after this many days', defaultText: '14, or the simulation’s recommendation with --stability' },
    json,
    quiet,
  },
  examples: ['npx segments check --model out/olist/model.json --data ~/olist-november --stability out/olist/stability.json'],
} satisfies CommandSpec;

export const REPORT = {
  name: 'report',
  summary: 'the HTML reports (exploration, model trials, maintenance, segment cards) with charts, in OUT/reports/',
  description: 'With --model, the reports show that run’s model (its summary.json beside it) and nothing is retrained.',
  options: {
    ...SEGMENT_EXPORT_OPTIONS,
    out: { value: 'DIR', help: 'the pages go to DIR/reports/ (created if needed)', required: true },
    model: { value: 'PATH', help: 'a `segments run` output folder (or its model.json): report on that model instead of segmenting again', defaultText: 'segment the export again' },
    stability: { value: 'FILE', help: 'stability.json from `segments simulate` for the maintenance page', defaultText: 'OUT/stability.json when present' },
    'with-simulation': { help: 'run the update-frequency simulation for the maintenance page (slow)' },
    json,
    quiet,
  },
  examples: ['npx segments report --data ~/olist --out out/olist --model out/olist', 'npx segments report --data ~/olist --out out/olist --with-simulation'],
} satisfies CommandSpec;

/** In the order of the help. */
export const SPECS: CommandSpec[] = [START, RUN, QUERY, EXPORT, SEGMENTS, MODELS, FORGET, REPORT, ASSIGN, GENERATE, SIMULATE, CHECK];
