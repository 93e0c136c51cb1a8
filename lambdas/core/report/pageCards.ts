/** Segment cards for marketing: one card per segment, in plain words, readable without any data science. */
import { RunSummary } from '../model/summary';
import { ChartDef, segmentColor, shareAxis } from './chartKit';
import { esc, fmt } from '../util/format';
import { figure, metric, section } from './html';
import { PageContext } from './pageContext';
import { keyFeatures, segmentChart } from './segmentStory';
import { BORDERLINE_MARGIN, MARGIN_RULE } from '../model/margin';

/** Trait names in plain words, for "the name holds" line of a card. */
const TRAIT_WORDS: Record<string, string> = {
  unsatisfied: 'rated their purchase 3 stars or less',
  lukewarm: 'rated it about 4 stars',
  delighted: 'rated it 4.5 stars or more',
  'late-deliveries': 'had most orders delivered late',
  repeat: 'ordered more than once',
  'one-time': 'ordered once',
  'high-spend': 'are in the top third of spend',
  'low-spend': 'are in the bottom third of spend',
  installments: 'pay in 4 or more installments',
  upfront: 'pay at once',
  'multi-item': 'bought two items or more',
  recent: 'bought recently (most recent third)',
  lapsed: 'last bought long ago (oldest third)',
  'never-delivered': 'have an order overdue, never delivered',
  'in-transit': 'have an order on its way',
  canceled: 'had every order canceled or unavailable',
};

export async function cardsPage(ctx: PageContext): Promise<string> {
  const s = ctx.input.summary;
  const stories = s.segments.map((_, i) => keyFeatures(s, i));
  const defs = s.segments.map((_, i) => segmentChart(s, i, stories[i]));
  const rendered = await ctx.renderAll([sharesChart(s), ...defs]);

  const cards = s.segments.map((g, i) => {
    const keys = stories[i];
    const chart = rendered.get(defs[i].id)!;
    // How true the name is: the share of members for whom each trait it rests on holds.
    const truth = Object.entries(g.fidelity)
      .map(([trait, share]) => `${esc(TRAIT_WORDS[trait] ?? trait)} for ${metric('summary', `segments.${i}.fidelity.${trait}`, share, fmt.pct(share, 0))} of them`)
      .join(', ');
    return `<article class="card" style="--seg:${segmentColor(g.id)}" data-segment="${g.id}" data-kind="${g.kind}" aria-labelledby="seg-${g.id}-name">
<p class="seg-id">Segment <strong data-segment-id>${g.id}</strong>${g.kind === 'rule' ? ' · <span class="pill">no delivered order: placed by rule</span>' : ''}</p>
<h2 id="seg-${g.id}-name" data-segment-name>${esc(g.name)}</h2>
<div class="size"><span><strong>${metric('summary', `segments.${i}.size`, g.size, fmt.int(g.size))}</strong> people · <strong>${metric('summary', `segments.${i}.share`, g.share, fmt.pct(g.share))}</strong> of all</span><span class="bar" aria-hidden="true"><span style="width:${Math.max(1, Math.round(g.share * 100))}%"></span></span></div>
<p class="who">${esc(g.description)}</p>
${truth ? `<p class="truth" data-fidelity>The name holds: ${truth}.</p>` : ''}
<h3>What sets them apart</h3>
<ul>${keys
      .map(
        (k) =>
          `<li>${esc(k.sentence)}.<span hidden>${metric('summary', k.segmentPath, k.segment, String(k.segment))}${metric('summary', k.allPath, k.all, String(k.all))}</span></li>`,
      )
      .join('')}</ul>
${figure(chart)}
<h3>What to do</h3>
<p class="action" data-action>${esc(g.action)}</p>
${borderlineLine(s, g)}
${campaignListLine(ctx, g)}
</article>`;
  });

  const rules = s.segments.filter((g) => g.kind === 'rule');
  const overview = section(
    'overview',
    `${s.k} groups of customers, and ${rules.length} for the people still waiting for an order`,
    `${figure(rendered.get('segment-shares')!)}`,
    `We grouped ${esc(fmt.int(s.customers))} customers who received at least one order into ${s.k} groups of people who behave alike: how much and how often they buy, how recently, how happy they were and how their deliveries went. The ${esc(fmt.int(s.people - s.customers))} people who never received an order (canceled, on its way, or overdue) have their own segments, placed by rule: they need service, not promotion. Each card compares a group with the average customer and says what to do with it.`,
  );
  const glossary = section(
    'how-to-read',
    'How to read the cards',
    `<ul>
<li><strong>Typical customer</strong>: the customer in the middle (half spend more, half less). Used for spend, where a few very large orders would distort an average.</li>
<li><strong>Average customer</strong>: the mean over all ${esc(fmt.int(s.customers))} customers, for everything else.</li>
<li><strong>Late delivery</strong>: delivered after the day the customer was promised.</li>
<li><strong>The name holds</strong>: a name is given only when most members share it individually (at least 70%); the card says for how many it holds.</li>
<li><strong>Margin</strong>: how much closer a customer is to the centre of their own group than to the next nearest group’s, from 0 (halfway between the two) to 1 (on their own group’s centre): ${esc(MARGIN_RULE)}. <strong>Borderline</strong> customers have a margin below ${BORDERLINE_MARGIN}: a small change in how they buy may move them to the other group. Every customer’s reasons, next nearest group and margin: <code>npx segments query --customer ID</code>.</li>
<li><strong>Campaign list</strong>: each card links to its group’s list (CSV, highest spend first: customer id, group, action, days since the last purchase, orders, spend, review, margin), written when the model went live.</li>
<li>Groups are recomputed on every run from the latest data; names and actions follow fixed rules on the numbers, so a group keeps its name as long as it behaves the same way.</li>
</ul>`,
  );
  return ctx.page({
    file: 'segment-cards.html',
    title: 'Customer segments',
    lead: `Who our customers are, in ${s.k} groups, and what marketing should do with each. Data as of ${esc(fmt.date(s.asOf))}.`,
    body: [overview, `<div class="cards">${cards.join('\n')}</div>`, glossary].join('\n'),
  });
}

/** How many of a clustered segment's customers are borderline, and to which segment most of them lean. */
function borderlineLine(s: RunSummary, g: RunSummary['segments'][number]): string {
  const at = s.borderline?.segments.findIndex((b) => b.id === g.id) ?? -1;
  if (!s.borderline || at < 0 || g.kind === 'rule') return '';
  const b = s.borderline.segments[at];
  const [lean] = Object.entries(b.runnerUps).sort((x, y) => y[1] - x[1]);
  const leanName = lean ? s.segments.find((x) => x.id === Number(lean[0]))?.name : undefined;
  const count = metric('summary', `borderline.segments.${at}.borderline`, b.borderline, fmt.int(b.borderline));
  return `<p class="get-list" data-borderline>Borderline: ${count} of them (${fmt.pct(b.borderline / Math.max(1, g.size))}) have a margin below ${s.borderline.threshold}${
    lean && leanName ? `, most often next to “${esc(leanName)}” (segment ${esc(lean[0])})` : ''
  }: <code>npx segments query --segment ${g.id} --borderline</code> lists them, closest first.</p>`;
}

/** Where the segment's campaign list is: the file the stack wrote beside the pages, and the command. */
function campaignListLine(ctx: PageContext, g: RunSummary['segments'][number]): string {
  const command = `<code>npx segments export --segment ${g.id} --out segment-${g.id}.csv</code>`;
  const lists = ctx.input.campaignLists;
  if (!lists) return `<p class="get-list" data-campaign-list>Their campaign list: ${command} (from the stack’s table, highest spend first), or the rows with <code>segment_id</code> ${g.id} in <code>assignments.csv</code> beside the model.</p>`;
  const file = `segment-${g.id}.csv`;
  return `<p class="get-list" data-campaign-list>Their campaign list: <a href="${esc(lists.dir + file)}" download data-export>${file}</a> (${fmt.int(g.size)} people, highest spend first, for spreadsheets and e-mail tools), or ${command}.</p>`;
}

function sharesChart(s: RunSummary): ChartDef {
  return {
    id: 'segment-shares',
    title: 'How big is each group?',
    subtitle: 'Share of all customers',
    description: `Horizontal bar chart of the share of customers in each group: ${s.segments.map((g) => `${g.name} ${fmt.pct(g.share)}`).join(', ')}.`,
    size: 'full',
    data: s.segments.map((g) => ({ segment: g.name, id: g.id, share: Math.round(g.share * 1e5) / 1e5, customers: g.size, label: `${fmt.pct(g.share)} · ${fmt.int(g.size)} customers` })),
    spec: {
      width: 520,
      height: { step: 26 },
      encoding: {
        y: { field: 'segment', type: 'nominal', title: null, sort: { field: 'id', op: 'min' }, axis: { labelLimit: 320, labelFontSize: 13, domain: false, ticks: false } },
        x: { field: 'share', type: 'quantitative', title: 'Share of customers', ...shareAxis(Math.max(...s.segments.map((g) => g.share))) },
      },
      layer: [
        { mark: { type: 'bar', cornerRadiusEnd: 3 }, encoding: { color: { field: 'segment', type: 'nominal', scale: { domain: s.segments.map((g) => g.name), range: s.segments.map((g) => segmentColor(g.id)) }, legend: null } } },
        { mark: { type: 'text', align: 'left', dx: 5, fontSize: 12 }, encoding: { text: { field: 'label' } } },
      ],
    },
  };
}
