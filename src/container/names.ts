import { InvalidParameter } from '../errdefs/index.js';

/** moby daemon/names: `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$` (so at least two characters). */
const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** `web` or `/web` → `/web`; InvalidParameter with Docker's message otherwise. */
export function normalizeName(name: string): string {
  if (!VALID_NAME.test(name)) throw new InvalidParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name : `/${name}`;
}

// A short version of moby's namesgenerator: adjective_surname.
const LEFT = [
  'admiring', 'adoring', 'agitated', 'amazing', 'angry', 'awesome', 'blissful', 'bold', 'brave', 'charming', 'clever',
  'cool', 'compassionate', 'confident', 'dazzling', 'determined', 'eager', 'ecstatic', 'elastic', 'elegant', 'epic',
  'festive', 'focused', 'friendly', 'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'happy', 'hopeful', 'jolly',
  'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'nice', 'nifty', 'optimistic',
  'peaceful', 'pensive', 'practical', 'quirky', 'relaxed', 'romantic', 'serene', 'sharp', 'stoic', 'sweet', 'tender',
  'trusting', 'upbeat', 'vibrant', 'vigilant', 'wizardly', 'wonderful', 'youthful', 'zealous', 'zen',
];
const RIGHT = [
  'albattani', 'almeida', 'archimedes', 'babbage', 'bardeen', 'bell', 'bohr', 'brahmagupta', 'cannon', 'curie',
  'darwin', 'dijkstra', 'einstein', 'euclid', 'euler', 'fermat', 'feynman', 'franklin', 'galileo', 'gauss',
  'goldberg', 'hamilton', 'hawking', 'hopper', 'hypatia', 'kepler', 'knuth', 'lamport', 'leakey', 'liskov',
  'lovelace', 'mayer', 'meitner', 'mendel', 'newton', 'noether', 'pascal', 'pasteur', 'poincare', 'ramanujan',
  'ritchie', 'shannon', 'sinoussi', 'tesla', 'thompson', 'torvalds', 'turing', 'villani', 'wozniak', 'wright',
];

/** A random `/adjective_surname`; with `retry` > 0 a digit is appended, as moby does after a collision. */
export function randomName(random: () => number = Math.random, retry = 0): string {
  const pick = (list: readonly string[]): string => list[Math.floor(random() * list.length)]!;
  const name = `${pick(LEFT)}_${pick(RIGHT)}`;
  return `/${retry > 0 ? `${name}${Math.floor(random() * 10)}` : name}`;
}
