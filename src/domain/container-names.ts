// Container names: docker's rules for given names, and generated `adjective_surname` names for
// containers created without one (kapal's own word lists, in docker's spirit).

import { randomBytes, randomInt } from 'node:crypto';

const ADJECTIVES = [
  'admiring', 'agile', 'amazing', 'bold', 'brave', 'bright', 'calm', 'clever', 'cool', 'curious', 'daring',
  'eager', 'elated', 'epic', 'fervent', 'focused', 'gallant', 'gentle', 'happy', 'hopeful', 'jolly', 'keen',
  'kind', 'lucid', 'modest', 'nifty', 'noble', 'optimistic', 'patient', 'peaceful', 'quirky', 'relaxed',
  'serene', 'sharp', 'steady', 'stoic', 'sweet', 'tender', 'thirsty', 'trusting', 'upbeat', 'vibrant',
  'vigilant', 'wise', 'witty', 'youthful', 'zealous', 'zen',
];

const SURNAMES = [
  'agnesi', 'babbage', 'bardeen', 'bohr', 'boole', 'cannon', 'curie', 'darwin', 'dijkstra', 'einstein',
  'euler', 'faraday', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg', 'hamilton', 'hawking',
  'hopper', 'hypatia', 'johnson', 'kepler', 'knuth', 'lamarr', 'lovelace', 'maxwell', 'meitner', 'mirzakhani',
  'newton', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'torvalds', 'turing', 'wilson', 'wozniak',
];

export const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function generateName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    const adjective = ADJECTIVES[randomInt(ADJECTIVES.length)]!;
    const surname = SURNAMES[randomInt(SURNAMES.length)]!;
    const name = attempt < 10 ? `${adjective}_${surname}` : `${adjective}_${surname}${randomInt(10)}`;
    if (!taken(`/${name}`)) return name;
  }
}

/** A random 64-hex ID whose 12-character short form is never all digits (moby's rule). */
export function generateContainerId(taken: (id: string) => boolean): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (/^\d+$/.test(id.slice(0, 12)) || taken(id)) continue;
    return id;
  }
}
