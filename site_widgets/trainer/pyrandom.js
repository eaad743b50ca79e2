// Python's random.Random, bit for bit, for the parts the lesson's scripts use (no DOM).
//
// CPython's generator is the Mersenne Twister MT19937. `random.Random(seed)` with an int
// seeds it by init_by_array with the 32-bit words of abs(seed), least significant first
// (one word 0 for seed 0). `shuffle` draws with `_randbelow(n)`: k = n.bit_length() bits
// from getrandbits(k), again while the result is >= n (rejection sampling, no modulo bias).
// `random()` makes a 53-bit float from two outputs, as CPython's random_random does.
// Same seed, same numbers as Python on any machine: that is what makes the split in the
// browser equal the one training/bears/data.py makes.

const N = 624;
const M = 397;
// The state is an Int32Array and the constants int32 (`| 0`): V8 keeps such values as small
// integers, where uint32 values above 2**31 would become doubles (several times slower).
const UPPER = 0x80000000 | 0;
const LOWER = 0x7fffffff;
const MATRIX = 0x9908b0df | 0;
const TEMPER_B = 0x9d2c5680 | 0;
const TEMPER_C = 0xefc60000 | 0;

export class PyRandom {
  /** @param {number|bigint} seed an integer, as random.Random(seed) takes it */
  constructor(seed = 0) {
    this.mt = new Int32Array(N);
    this.i = N;
    this.initByArray(seedWords(seed));
  }

  initGenrand(s) {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      mt[i] = (Math.imul(1812433253, mt[i - 1] ^ (mt[i - 1] >>> 30)) + i) >>> 0;
    }
    this.i = N;
  }

  initByArray(key) {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      mt[i] = ((mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      mt[i] = ((mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = UPPER;
  }

  /** The next 32-bit output (genrand_uint32). */
  uint32() {
    if (this.i >= N) this.twist();
    return temper(this.mt[this.i++]) >>> 0;
  }

  twist() {
    const mt = this.mt;
    const mix = (k, next, far) => {
      const y = (mt[k] & UPPER) | (mt[next] & LOWER);
      mt[k] = mt[far] ^ (y >>> 1) ^ (y & 1 ? MATRIX : 0);
    };
    let k = 0;
    for (; k < N - M; k++) mix(k, k + 1, k + M);
    for (; k < N - 1; k++) mix(k, k + 1, k + M - N);
    mix(N - 1, 0, M - 1);
    this.i = 0;
  }

  /** Fill a Uint32Array with the next outputs (what uint32() would give, faster in bulk). */
  fill(out) {
    const mt = this.mt;
    let i = this.i;
    for (let k = 0; k < out.length; k++) {
      if (i >= N) {
        this.twist();
        i = 0;
      }
      out[k] = temper(mt[i++]);
    }
    this.i = i;
    return out;
  }

  /** random.random(): a float in [0, 1) with 53 random bits. */
  random() {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** random.getrandbits(k) for 0 <= k <= 32 (all that _randbelow needs below 2**32). */
  getrandbits(k) {
    if (!(k >= 0 && k <= 32)) throw new RangeError(`getrandbits: k must be 0..32 here, got ${k}`);
    return k === 0 ? 0 : this.uint32() >>> (32 - k);
  }

  /** random._randbelow(n): an int in [0, n), n >= 1. */
  randbelow(n) {
    const k = 32 - Math.clz32(n); // n.bit_length()
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** random.shuffle(x), in place. */
  shuffle(x) {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
    return x;
  }
}

/** MT19937's output tempering (an int32; `>>> 0` reads it as the unsigned output). */
function temper(y) {
  y ^= y >>> 11;
  y ^= (y << 7) & TEMPER_B;
  y ^= (y << 15) & TEMPER_C;
  return y ^ (y >>> 18);
}

/** abs(seed) as 32-bit words, least significant first ([0] for 0). */
function seedWords(seed) {
  if (typeof seed === "number" && !Number.isSafeInteger(seed)) {
    throw new TypeError(`seed must be an integer (a BigInt beyond 2**53), got ${seed}`);
  }
  let n = BigInt(seed);
  if (n < 0n) n = -n;
  const words = [];
  do {
    words.push(Number(n & 0xffffffffn));
    n >>= 32n;
  } while (n > 0n);
  return words;
}
