/**
 * Hand-written Portuguese review snippets for the synthetic reviews (written for this generator, not taken
 * from the export). Messages are assembled from these sentences; the calibrated rates decide how often a
 * message has a comma, an embedded line break (CRLF, as in the export) or double quotes.
 */
import type { Rng } from '../util/random';

export type Sentiment = 'positive' | 'neutral' | 'negative';

export const sentimentOf = (score: number): Sentiment => (score >= 4 ? 'positive' : score === 3 ? 'neutral' : 'negative');

const TITLES: Record<Sentiment, string[]> = {
  positive: [
    'Recomendo', 'Excelente', 'Ótimo produto', 'Muito bom', 'Super recomendo', 'Adorei', 'Perfeito', 'Chegou rápido',
    'Bom', 'Gostei', 'Maravilhoso', 'Entrega rápida', 'Satisfeita', 'Satisfeito', 'Top', 'Ótimo', 'Amei', 'Muito bom!',
  ],
  neutral: ['Regular', 'Razoável', 'Poderia ser melhor', 'Mais ou menos', 'Ok', 'Demorou', 'Bom, mas', 'Esperava mais'],
  negative: [
    'Não recebi', 'Péssimo', 'Produto com defeito', 'Não recomendo', 'Atraso na entrega', 'Decepcionado', 'Produto errado',
    'Ruim', 'Horrível', 'Pedido incompleto', 'Decepção', 'Cadê meu produto?',
  ],
};

const DIGIT_TITLES: Record<Sentiment, string[]> = {
  positive: ['10', '5 estrelas', '100% recomendo', '10/10', '5'],
  neutral: ['3 estrelas', '3', '50%'],
  negative: ['0', '1 estrela', '1'],
};

const SENTENCES: Record<Sentiment, string[]> = {
  positive: [
    'Produto chegou antes do prazo', 'Recomendo a loja', 'Entrega muito rápida', 'Produto de ótima qualidade',
    'Tudo certo com a compra', 'Chegou bem embalado', 'Exatamente como na descrição', 'Estou muito satisfeita com a compra',
    'Recebi tudo direitinho', 'Superou minhas expectativas', 'Compraria novamente', 'Ótimo custo benefício',
    'Vendedor atencioso', 'Bem antes do prazo estipulado', 'Produto bonito e resistente', 'Muito bom',
    'Minha filha adorou', 'Chegou certinho', 'Loja confiável', 'Parabéns pelo atendimento',
  ],
  neutral: [
    'O produto é bom mas a entrega demorou', 'Achei o material um pouco frágil', 'Veio com a cor diferente da foto',
    'Atende ao esperado', 'Poderia vir melhor embalado', 'É menor do que parece na foto', 'Ainda não testei',
    'A qualidade é razoável pelo preço', 'Demorou um pouco mas chegou',
  ],
  negative: [
    'Ainda não recebi o produto', 'Produto veio com defeito', 'Veio faltando uma peça', 'Comprei dois e recebi apenas um',
    'A entrega atrasou muito', 'Não recomendo essa loja', 'Produto diferente do anunciado',
    'Já entrei em contato e ninguém responde', 'Quero a devolução do meu dinheiro', 'O prazo de entrega já passou',
    'Produto de péssima qualidade', 'Estou aguardando uma resposta', 'Veio quebrado', 'Recebi o produto errado',
  ],
};

const QUOTED: Record<Sentiment, string[]> = {
  positive: ['Veio com um "brinde" que eu não esperava', 'Produto "top" mesmo', 'A loja cumpriu o "prazo" com folga'],
  neutral: ['O tamanho "único" ficou pequeno', 'A cor "azul" é bem mais clara'],
  negative: ['Veio escrito "frágil" mas a caixa estava amassada', 'O produto "original" não é original', 'Status "entregue" mas não recebi nada'],
};

const pick = <T>(xs: readonly T[], rng: Rng): T => xs[rng.int(xs.length)];

export function reviewTitle(score: number, digitShare: number, rng: Rng): string {
  const s = sentimentOf(score);
  return rng.next() < digitShare ? pick(DIGIT_TITLES[s], rng) : pick(TITLES[s], rng);
}

export interface MessageRates {
  comma: number;
  newline: number;
  quote: number;
}

/** A short message: 1-3 sentences; commas, CRLF line breaks and double quotes at the given rates. */
export function reviewMessage(score: number, rates: MessageRates, rng: Rng): string {
  const s = sentimentOf(score);
  const comma = rng.next() < rates.comma;
  const newline = rng.next() < rates.newline;
  const quote = rng.next() < rates.quote;
  const n = 1 + (comma ? 1 : 0) + (newline ? 1 : 0) + (rng.next() < 0.2 ? 1 : 0);
  const parts: string[] = [];
  const bank = SENTENCES[s];
  const used: number[] = [];
  while (used.length < n) {
    const i = rng.int(bank.length);
    if (!used.includes(i)) used.push(i);
  }
  for (const i of used) parts.push(bank[i]);
  if (quote) parts[rng.int(n)] = pick(QUOTED[s], rng);
  let out = parts[0];
  let commaUsed = false;
  let newlineUsed = false;
  for (let i = 1; i < n; i++) {
    if (comma && !commaUsed) {
      out += ', ' + parts[i].charAt(0).toLowerCase() + parts[i].slice(1);
      commaUsed = true;
    } else if (newline && !newlineUsed) {
      out += (rng.next() < 0.5 ? '.' : '') + '\r\n' + parts[i];
      newlineUsed = true;
    } else out += '. ' + parts[i];
  }
  const end = rng.next();
  if (end < 0.45) out += '.';
  else if (end < 0.55) out += '!';
  else if (end < 0.6 && newline) out += '\r\n';
  if (rng.next() < 0.12) out = out.toLowerCase();
  return out;
}
