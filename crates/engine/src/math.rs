//! Deterministic `exp`, `ln` and `powf` written in IEEE-754 basic arithmetic only.
//!
//! `f64::exp`, `f64::ln` and `f64::powf` call the platform's maths library, whose last bits
//! differ between platforms (glibc, musl, macOS, Windows) and between library versions. These
//! versions use only `+`, `−`, `×`, `÷` (each correctly rounded by IEEE 754 in the default
//! round-to-nearest mode), integer operations on the bit patterns, and constants written out
//! as bits, so they return the same bits on every platform Rust supports. Neither uses fused
//! multiply-add: `mul_add` would be a libm call where the CPU has no FMA.
//!
//! - [`exp`]: relative error below 0.52 ulp (at most 1 ulp from the correctly rounded value;
//!   the tests measure ≤ 1 ulp against glibc over millions of points). The method of
//!   Tang (1989) as in ARM's optimized-routines and glibc 2.28+: x = k·ln2/128 + r with
//!   |r| ≤ ln2/256, where k·ln2/128 is subtracted in two parts (Cody–Waite: the high part has
//!   18 trailing zero bits, so k times it is exact for |k| < 2^18); 2^(k/128) comes from a
//!   table of 128 values 2^(j/128) rounded to double plus each value's rounding error as a
//!   second double; e^r − 1 is the Taylor polynomial of degree 5 (truncation below 6·10^−19
//!   relative); the power of two 2^⌊k/128⌋ is added to the exponent bits. Overflow gives +∞
//!   (x > 709.78), underflow gives subnormals and then +0 (x < −745.13), NaN gives NaN.
//! - [`ln`]: relative error below 1 ulp. fdlibm's `__ieee754_log` (Sun, 1993; as in musl):
//!   x = 2^k·(1 + f) with 1 + f in [√2/2, √2), s = f/(2 + f), and ln(1 + f) = 2s + s·R(s²)
//!   with a degree-7 minimax polynomial R. ln(0) = −∞, ln(x < 0) = NaN, ln(+∞) = +∞.
//! - [`powf`]: e^(y·ln x), with ln x computed as a double-double (fdlibm's decomposition
//!   with the exact parts kept exact, Dekker's product and Knuth's two-sum, no FMA) and y·ln x
//!   as a double-double whose low part is added to `exp`'s reduced argument. The remaining
//!   error is ln's (about 2^−56 relative, from the rounded term s·(f²/2 + R) of about f³/3),
//!   times |y·ln x|, plus `exp`'s 0.52 ulp: the tests require ≤ 1 + ⌊|y·ln x|/4⌋ ulp against
//!   glibc for normal positive x, so ≤ 1 ulp where the model uses it (|y·ln x| < 4: discount
//!   factors over the horizon and monthly rates), and ≤ 2 ulp up to |y·ln x| = 8; zero, subnormal, negative and non-finite
//!   arguments fall back to `exp(y·ln x)`, which gives glibc's special values for them
//!   (0^y = 0 for y > 0 and +∞ for y < 0; NaN for a negative base, even with an integer y).
//!
//! Speed: `exp` is about 25 instructions inlined, against about 50 for glibc's through the
//! PLT; it is on the hottest path of the model (one call per simulated hour).

/// N/ln2 with N = 128.
const INV_LN2_N: f64 = f64::from_bits(0x40671547652b82fe);
/// −ln2/N, high part (18 trailing zero bits) and low part.
const NEG_LN2_HI_N: f64 = f64::from_bits(0xbf762e42fefa0000);
const NEG_LN2_LO_N: f64 = f64::from_bits(0xbd0cf79abc9e3b3a);
/// 1.5·2^52: adding it rounds to an integer held in the low mantissa bits.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// Taylor coefficients 1/2, 1/6, 1/24, 1/120.
const C2: f64 = 0.5;
const C3: f64 = 1.0 / 6.0;
const C4: f64 = 1.0 / 24.0;
const C5: f64 = 1.0 / 120.0;
/// Above this e^x overflows; below `EXP_UNDERFLOW` it rounds to +0.
const EXP_OVERFLOW: f64 = f64::from_bits(0x4086_2e42_fefa_39ef); // 709.782_712_893_383_973_1
const EXP_UNDERFLOW: f64 = -745.133_219_101_941_2;

/// For j in 0..128: the bits of the rounding error of 2^(j/128) relative to its double (the
/// "tail"), then the bits of that double minus j << 45, so that adding k << 45 for
/// k = 128·m + j gives 2^m · 2^(j/128). Computed with Python's `decimal` at 80 digits
/// (`float(Decimal)` rounds correctly); the same table as glibc's `__exp_data.tab`.
#[rustfmt::skip]
static EXP_TABLE: [u64; 256] = [
    0x0000000000000000, 0x3ff0000000000000,
    0x3c9b3b4f1a88bf6e, 0x3feff63da9fb3335,
    0xbc7160139cd8dc5d, 0x3fefec9a3e778061,
    0xbc905e7a108766d1, 0x3fefe315e86e7f85,
    0x3c8cd2523567f613, 0x3fefd9b0d3158574,
    0xbc8bce8023f98efa, 0x3fefd06b29ddf6de,
    0x3c60f74e61e6c861, 0x3fefc74518759bc8,
    0x3c90a3e45b33d399, 0x3fefbe3ecac6f383,
    0x3c979aa65d837b6d, 0x3fefb5586cf9890f,
    0x3c8eb51a92fdeffc, 0x3fefac922b7247f7,
    0x3c3ebe3d702f9cd1, 0x3fefa3ec32d3d1a2,
    0xbc6a033489906e0b, 0x3fef9b66affed31b,
    0xbc9556522a2fbd0e, 0x3fef9301d0125b51,
    0xbc5080ef8c4eea55, 0x3fef8abdc06c31cc,
    0xbc91c923b9d5f416, 0x3fef829aaea92de0,
    0x3c80d3e3e95c55af, 0x3fef7a98c8a58e51,
    0xbc801b15eaa59348, 0x3fef72b83c7d517b,
    0xbc8f1ff055de323d, 0x3fef6af9388c8dea,
    0x3c8b898c3f1353bf, 0x3fef635beb6fcb75,
    0xbc96d99c7611eb26, 0x3fef5be084045cd4,
    0x3c9aecf73e3a2f60, 0x3fef54873168b9aa,
    0xbc8fe782cb86389d, 0x3fef4d5022fcd91d,
    0x3c8a6f4144a6c38d, 0x3fef463b88628cd6,
    0x3c807a05b0e4047d, 0x3fef3f49917ddc96,
    0x3c968efde3a8a894, 0x3fef387a6e756238,
    0x3c875e18f274487d, 0x3fef31ce4fb2a63f,
    0x3c80472b981fe7f2, 0x3fef2b4565e27cdd,
    0xbc96b87b3f71085e, 0x3fef24dfe1f56381,
    0x3c82f7e16d09ab31, 0x3fef1e9df51fdee1,
    0xbc3d219b1a6fbffa, 0x3fef187fd0dad990,
    0x3c8b3782720c0ab4, 0x3fef1285a6e4030b,
    0x3c6e149289cecb8f, 0x3fef0cafa93e2f56,
    0x3c834d754db0abb6, 0x3fef06fe0a31b715,
    0x3c864201e2ac744c, 0x3fef0170fc4cd831,
    0x3c8fdd395dd3f84a, 0x3feefc08b26416ff,
    0xbc86a3803b8e5b04, 0x3feef6c55f929ff1,
    0xbc924aedcc4b5068, 0x3feef1a7373aa9cb,
    0xbc9907f81b512d8e, 0x3feeecae6d05d866,
    0xbc71d1e83e9436d2, 0x3feee7db34e59ff7,
    0xbc991919b3ce1b15, 0x3feee32dc313a8e5,
    0x3c859f48a72a4c6d, 0x3feedea64c123422,
    0xbc9312607a28698a, 0x3feeda4504ac801c,
    0xbc58a78f4817895b, 0x3feed60a21f72e2a,
    0xbc7c2c9b67499a1b, 0x3feed1f5d950a897,
    0x3c4363ed60c2ac11, 0x3feece086061892d,
    0x3c9666093b0664ef, 0x3feeca41ed1d0057,
    0x3c6ecce1daa10379, 0x3feec6a2b5c13cd0,
    0x3c93ff8e3f0f1230, 0x3feec32af0d7d3de,
    0x3c7690cebb7aafb0, 0x3feebfdad5362a27,
    0x3c931dbdeb54e077, 0x3feebcb299fddd0d,
    0xbc8f94340071a38e, 0x3feeb9b2769d2ca7,
    0xbc87deccdc93a349, 0x3feeb6daa2cf6642,
    0xbc78dec6bd0f385f, 0x3feeb42b569d4f82,
    0xbc861246ec7b5cf6, 0x3feeb1a4ca5d920f,
    0x3c93350518fdd78e, 0x3feeaf4736b527da,
    0x3c7b98b72f8a9b05, 0x3feead12d497c7fd,
    0x3c9063e1e21c5409, 0x3feeab07dd485429,
    0x3c34c7855019c6ea, 0x3feea9268a5946b7,
    0x3c9432e62b64c035, 0x3feea76f15ad2148,
    0xbc8ce44a6199769f, 0x3feea5e1b976dc09,
    0xbc8c33c53bef4da8, 0x3feea47eb03a5585,
    0xbc845378892be9ae, 0x3feea34634ccc320,
    0xbc93cedd78565858, 0x3feea23882552225,
    0x3c5710aa807e1964, 0x3feea155d44ca973,
    0xbc93b3efbf5e2228, 0x3feea09e667f3bcd,
    0xbc6a12ad8734b982, 0x3feea012750bdabf,
    0xbc6367efb86da9ee, 0x3fee9fb23c651a2f,
    0xbc80dc3d54e08851, 0x3fee9f7df9519484,
    0xbc781f647e5a3ecf, 0x3fee9f75e8ec5f74,
    0xbc86ee4ac08b7db0, 0x3fee9f9a48a58174,
    0xbc8619321e55e68a, 0x3fee9feb564267c9,
    0x3c909ccb5e09d4d3, 0x3feea0694fde5d3f,
    0xbc7b32dcb94da51d, 0x3feea11473eb0187,
    0x3c94ecfd5467c06b, 0x3feea1ed0130c132,
    0x3c65ebe1abd66c55, 0x3feea2f336cf4e62,
    0xbc88a1c52fb3cf42, 0x3feea427543e1a12,
    0xbc9369b6f13b3734, 0x3feea589994cce13,
    0xbc805e843a19ff1e, 0x3feea71a4623c7ad,
    0xbc94d450d872576e, 0x3feea8d99b4492ed,
    0x3c90ad675b0e8a00, 0x3feeaac7d98a6699,
    0x3c8db72fc1f0eab4, 0x3feeace5422aa0db,
    0xbc65b6609cc5e7ff, 0x3feeaf3216b5448c,
    0x3c7bf68359f35f44, 0x3feeb1ae99157736,
    0xbc93091fa71e3d83, 0x3feeb45b0b91ffc6,
    0xbc5da9b88b6c1e29, 0x3feeb737b0cdc5e5,
    0xbc6c23f97c90b959, 0x3feeba44cbc8520f,
    0xbc92434322f4f9aa, 0x3feebd829fde4e50,
    0xbc85ca6cd7668e4b, 0x3feec0f170ca07ba,
    0x3c71affc2b91ce27, 0x3feec49182a3f090,
    0x3c6dd235e10a73bb, 0x3feec86319e32323,
    0xbc87c50422622263, 0x3feecc667b5de565,
    0x3c8b1c86e3e231d5, 0x3feed09bec4a2d33,
    0xbc91bbd1d3bcbb15, 0x3feed503b23e255d,
    0x3c90cc319cee31d2, 0x3feed99e1330b358,
    0x3c8469846e735ab3, 0x3feede6b5579fdbf,
    0xbc82dfcd978e9db4, 0x3feee36bbfd3f37a,
    0x3c8c1a7792cb3387, 0x3feee89f995ad3ad,
    0xbc907b8f4ad1d9fa, 0x3feeee07298db666,
    0xbc55c3d956dcaeba, 0x3feef3a2b84f15fb,
    0xbc90a40e3da6f640, 0x3feef9728de5593a,
    0xbc68d6f438ad9334, 0x3feeff76f2fb5e47,
    0xbc91eee26b588a35, 0x3fef05b030a1064a,
    0x3c74ffd70a5fddcd, 0x3fef0c1e904bc1d2,
    0xbc91bdfbfa9298ac, 0x3fef12c25bd71e09,
    0x3c736eae30af0cb3, 0x3fef199bdd85529c,
    0x3c8ee3325c9ffd94, 0x3fef20ab5fffd07a,
    0x3c84e08fd10959ac, 0x3fef27f12e57d14b,
    0x3c63cdaf384e1a67, 0x3fef2f6d9406e7b5,
    0x3c676b2c6c921968, 0x3fef3720dcef9069,
    0xbc808a1883ccb5d2, 0x3fef3f0b555dc3fa,
    0xbc8fad5d3ffffa6f, 0x3fef472d4a07897c,
    0xbc900dae3875a949, 0x3fef4f87080d89f2,
    0x3c74a385a63d07a7, 0x3fef5818dcfba487,
    0xbc82919e2040220f, 0x3fef60e316c98398,
    0x3c8e5a50d5c192ac, 0x3fef69e603db3285,
    0x3c843a59ac016b4b, 0x3fef7321f301b460,
    0xbc82d52107b43e1f, 0x3fef7c97337b9b5f,
    0xbc892ab93b470dc9, 0x3fef864614f5a129,
    0x3c74b604603a88d3, 0x3fef902ee78b3ff6,
    0x3c83c5ec519d7271, 0x3fef9a51fbc74c83,
    0xbc8ff7128fd391f0, 0x3fefa4afa2a490da,
    0xbc8dae98e223747d, 0x3fefaf482d8e67f1,
    0x3c8ec3bc41aa2008, 0x3fefba1bee615a27,
    0x3c842b94c3a9eb32, 0x3fefc52b376bba97,
    0x3c8a64a931d185ee, 0x3fefd0765b6e4540,
    0xbc8e37bae43be3ed, 0x3fefdbfdad9cbe14,
    0x3c77893b4d91cd9d, 0x3fefe7c1819e90d8,
    0x3c5305c14160cc89, 0x3feff3c22b8f71f1,
];

/// e^x, deterministic across platforms; see the module documentation for the error bound.
#[inline]
#[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must take the special path
pub fn exp(x: f64) -> f64 {
    // Up to 708 in magnitude the result and the scale 2^⌊k/128⌋ are normal numbers.
    if !(x.abs() <= 708.0) {
        return exp_special(x);
    }
    let (tmp, sbits) = exp_reduce(x);
    let scale = f64::from_bits(sbits);
    scale + scale * tmp
}

/// The shared core of [`exp`] and its special path: `x = k·ln2/128 + r`, giving the
/// polynomial part `tmp` (e^r − 1 plus the table's tail) and the raw bits of the scale
/// `2^(k/128)` (which may be out of range for |x| > 708; `exp_special` rescales it).
#[inline(always)]
fn exp_reduce(x: f64) -> (f64, u64) {
    let z = INV_LN2_N * x;
    let kd = z + SHIFT;
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N;
    let idx = 2 * (ki % 128) as usize;
    let top = ki << 45;
    let tail = f64::from_bits(EXP_TABLE[idx]);
    let r2 = r * r;
    let tmp = tail + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5);
    (tmp, EXP_TABLE[idx + 1].wrapping_add(top))
}

/// `exp` for |x| > 708 and NaN: scales in two steps so that no intermediate overflows.
#[cold]
#[inline(never)]
fn exp_special(x: f64) -> f64 {
    if x.is_nan() {
        return x + x;
    }
    if x > EXP_OVERFLOW {
        return f64::INFINITY;
    }
    if x < EXP_UNDERFLOW {
        return 0.0;
    }
    let (tmp, sbits) = exp_reduce(x);
    if x > 0.0 {
        // 2^⌊k/128⌋ may be 2^1024: build it 2^1009 smaller and multiply back (exact unless
        // the result overflows, which rounds to +∞ as it should).
        let scale = f64::from_bits(sbits.wrapping_sub(1009 << 52));
        (scale + scale * tmp) * f64::from_bits(0x7f00000000000000)
    } else {
        // The result may be subnormal: form it 2^1022 larger (a normal number, one rounding)
        // and scale down (a second rounding, to the subnormal grid only).
        let scale = f64::from_bits(sbits.wrapping_add(1022 << 52));
        (scale + scale * tmp) * f64::from_bits(0x0010000000000000)
    }
}

const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 0x3fe62e42fee00000
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 0x3dea39ef35793c76
const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593); // 0x3fe5555555555593
const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04); // 0x3fd999999997fa04
const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359); // 0x3fd2492494229359
const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af); // 0x3fcc71c51d8e78af
const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de); // 0x3fc7466496cb03de
const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f); // 0x3fc39a09d078c69f
const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244); // 0x3fc2f112df3e5244

/// ln x, deterministic across platforms; see the module documentation for the error bound.
pub fn ln(x: f64) -> f64 {
    let mut x = x;
    let mut ui = x.to_bits();
    let mut hx = (ui >> 32) as u32;
    let mut k: i32 = 0;
    if hx < 0x0010_0000 || hx >> 31 != 0 {
        if ui << 1 == 0 {
            return f64::NEG_INFINITY;
        }
        if hx >> 31 != 0 {
            return f64::NAN;
        }
        // Subnormal: scale up by 2^54.
        k -= 54;
        x *= f64::from_bits(0x4350_0000_0000_0000);
        ui = x.to_bits();
        hx = (ui >> 32) as u32;
    } else if hx >= 0x7ff0_0000 {
        // +∞ or NaN.
        return x;
    } else if hx == 0x3ff0_0000 && ui << 32 == 0 {
        return 0.0;
    }
    // Reduce x into [√2/2, √2).
    hx += 0x3ff0_0000 - 0x3fe6_a09e;
    k += (hx >> 20) as i32 - 0x3ff;
    hx = (hx & 0x000f_ffff) + 0x3fe6_a09e;
    ui = (u64::from(hx) << 32) | (ui & 0xffff_ffff);
    let f = f64::from_bits(ui) - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let dk = f64::from(k);
    s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI
}

/// x^y as e^(y·ln x) with ln x and the product carried in double-double, deterministic
/// across platforms; see the module documentation for the error bound.
/// `powf(x, 0) = 1` and `powf(1, y) = 1` for every x and y, NaN included.
#[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must take the fallback
pub fn powf(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if !(f64::MIN_POSITIVE..f64::INFINITY).contains(&x) || !y.is_finite() {
        // Zero, subnormal, negative, infinite or NaN base, or a non-finite exponent.
        return exp(y * ln(x));
    }
    let (lh, ll) = ln_double_double(x);
    let (wh, we) = two_prod(y, lh);
    let wl = we + y * ll;
    if !((wh + wl).abs() <= 708.0) {
        return exp(wh + wl);
    }
    exp_with_tail(wh, wl)
}

/// a·b = p + e exactly (Dekker's product with Veltkamp's split; no FMA), for |a·b| far from
/// overflow.
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    const SPLIT: f64 = 134_217_729.0; // 2^27 + 1
    let p = a * b;
    let (ah, al) = {
        let c = SPLIT * a;
        let h = c - (c - a);
        (h, a - h)
    };
    let (bh, bl) = {
        let c = SPLIT * b;
        let h = c - (c - b);
        (h, b - h)
    };
    let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    (p, e)
}

/// a + b = s + e exactly (Knuth's two-sum).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

/// ln x as hi + lo with about 2^−60 relative error, for positive normal finite x: fdlibm's
/// decomposition ln x = k·ln2 + f − f²/2 + s·(f²/2 + R), with k·ln2_hi, f and f²/2 exact.
fn ln_double_double(x: f64) -> (f64, f64) {
    let ui = x.to_bits();
    let mut hx = (ui >> 32) as u32;
    hx += 0x3ff0_0000 - 0x3fe6_a09e;
    let k = (hx >> 20) as i32 - 0x3ff;
    hx = (hx & 0x000f_ffff) + 0x3fe6_a09e;
    let f = f64::from_bits((u64::from(hx) << 32) | (ui & 0xffff_ffff)) - 1.0;
    let (sq, sq_err) = two_prod(f, f);
    let (hfsq, hfsq_lo) = (0.5 * sq, 0.5 * sq_err);
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let c = s * (hfsq + t2 + t1);
    let dk = f64::from(k);
    // k·ln2_hi is exact (|k| < 2^11, ln2_hi has 32 significant bits), f − f²/2 by two-sum.
    let (a, a_err) = two_sum(f, -hfsq);
    let (hi, b_err) = two_sum(dk * LN2_HI, a);
    let lo = b_err + (a_err - hfsq_lo + c + dk * LN2_LO);
    two_sum(hi, lo)
}

/// e^(x + tail) for |x| ≤ 708 and |tail| ≤ 2^−40·|x|: `exp` with the tail added to the
/// reduced argument.
fn exp_with_tail(x: f64, tail_x: f64) -> f64 {
    let z = INV_LN2_N * x;
    let kd = z + SHIFT;
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N + tail_x;
    let idx = 2 * (ki % 128) as usize;
    let top = ki << 45;
    let tail = f64::from_bits(EXP_TABLE[idx]);
    let scale = f64::from_bits(EXP_TABLE[idx + 1].wrapping_add(top));
    let r2 = r * r;
    let tmp = tail + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5);
    scale + scale * tmp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite doubles of the same sign (or
    /// zero), counted on the bit patterns, so subnormal steps count as one ulp each.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "{a} vs {b}");
        a.to_bits().abs_diff(b.to_bits())
    }

    /// A small deterministic generator for test points (SplitMix64).
    struct Points(u64);
    impl Points {
        fn unit(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }
        fn between(&mut self, a: f64, b: f64) -> f64 {
            a + (b - a) * self.unit()
        }
    }

    #[test]
    fn exp_is_within_one_ulp_of_libm() {
        let mut p = Points(1);
        let mut worst = 0;
        let ranges = [
            (-745.2, 709.8),
            (-20.0, 20.0),
            (-1.0, 1.0),
            (-1e-3, 1e-3),
            (-1e-12, 1e-12),
            (3.0, 5.0),
            (-745.2, -700.0),
            (700.0, 709.8),
        ];
        for (a, b) in ranges {
            for _ in 0..500_000 {
                let x = p.between(a, b);
                let (ours, libm) = (exp(x), x.exp());
                let d = ulps(ours, libm);
                assert!(d <= 1, "exp({x:e}) = {ours:e}, libm {libm:e}, {d} ulp");
                worst = worst.max(d);
            }
        }
        // Arguments spread over every binade, both signs.
        for _ in 0..2_000_000 {
            let e = (p.unit() * 70.0) as i32 - 60;
            let x = (p.between(-1.0, 1.0) * 2f64.powi(e)).clamp(-746.0, 710.0);
            let (ours, libm) = (exp(x), x.exp());
            assert!(
                ulps(ours, libm) <= 1,
                "exp({x:e}) = {ours:e}, libm {libm:e}"
            );
        }
        assert!(worst <= 1);
    }

    #[test]
    fn exp_edge_cases() {
        assert_eq!(exp(0.0).to_bits(), 1.0f64.to_bits());
        assert_eq!(exp(-0.0).to_bits(), 1.0f64.to_bits());
        assert_eq!(exp(1e-300), 1.0);
        assert_eq!(exp(-1e-300), 1.0);
        assert_eq!(exp(f64::MIN_POSITIVE), 1.0);
        assert_eq!(exp(5e-324), 1.0);
        assert_eq!(exp(1.0), std::f64::consts::E);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY).to_bits(), 0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(709.79), f64::INFINITY);
        assert_eq!(exp(1e10), f64::INFINITY);
        assert_eq!(exp(f64::MAX), f64::INFINITY);
        assert_eq!(exp(-745.14).to_bits(), 0);
        assert_eq!(exp(-1e10).to_bits(), 0);
        assert_eq!(exp(f64::MIN).to_bits(), 0);
        // The largest finite result and the smallest subnormal one.
        assert_eq!(exp(709.782712893384), 709.782712893384f64.exp());
        assert!(exp(709.782712893384).is_finite());
        assert_eq!(exp(-745.13), (-745.13f64).exp());
        assert_eq!(exp(-745.13).to_bits(), 1);
        for x in [-744.0, -730.5, -720.25, -708.5, -708.0, 708.0, 708.5, 709.5] {
            assert!(ulps(exp(x), x.exp()) <= 1, "exp({x})");
        }
    }

    #[test]
    fn ln_is_within_one_ulp_of_libm() {
        let mut p = Points(2);
        for (a, b) in [
            (0.0, 1.0),
            (0.5, 2.0),
            (0.999, 1.001),
            (1.0, 1e6),
            (1e-300, 1e-290),
        ] {
            for _ in 0..500_000 {
                let x = p.between(a, b);
                if x <= 0.0 {
                    continue;
                }
                let (ours, libm) = (ln(x), x.ln());
                assert!(ulps(ours, libm) <= 1, "ln({x:e}) = {ours:e}, libm {libm:e}");
            }
        }
        // Every binade, subnormals included.
        for _ in 0..2_000_000 {
            let x = f64::from_bits((p.unit() * 9.218_868_437_227_405e18) as u64);
            let (ours, libm) = (ln(x), x.ln());
            assert!(ulps(ours, libm) <= 1, "ln({x:e}) = {ours:e}, libm {libm:e}");
        }
    }

    #[test]
    fn ln_edge_cases() {
        assert_eq!(ln(1.0).to_bits(), 0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(ln(-0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert!(ln(-1e-300).is_nan());
        assert!(ln(f64::NEG_INFINITY).is_nan());
        assert!(ln(f64::NAN).is_nan());
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln(2.0), std::f64::consts::LN_2);
        assert_eq!(ln(10.0), std::f64::consts::LN_10);
        assert_eq!(ln(std::f64::consts::E), 1.0);
        assert!(ulps(ln(f64::MAX), f64::MAX.ln()) <= 1);
        assert!(ulps(ln(5e-324), 5e-324f64.ln()) <= 1);
        assert!(ulps(ln(f64::MIN_POSITIVE), f64::MIN_POSITIVE.ln()) <= 1);
    }

    #[test]
    fn powf_error_grows_slowly_with_the_exponent() {
        let mut p = Points(3);
        for _ in 0..1_000_000 {
            // Discount and monthly-rate factors: bases near 1, exponents up to ±60 years.
            let x = p.between(0.5, 2.0);
            let y = p.between(-60.0, 60.0);
            let (ours, libm) = (powf(x, y), x.powf(y));
            let bound = 1 + ((y * x.ln()).abs() / 4.0) as u64;
            assert!(
                ulps(ours, libm) <= bound,
                "powf({x}, {y}) = {ours:e}, libm {libm:e}"
            );
        }
        for _ in 0..1_000_000 {
            // Any normal base, exponents with |y·ln x| up to 700.
            let x = 2f64.powi((p.unit() * 2000.0) as i32 - 1000) * p.between(1.0, 2.0);
            let y = p.between(-700.0, 700.0) / x.ln().abs().max(1.0);
            let (ours, libm) = (powf(x, y), x.powf(y));
            let bound = 1 + ((y * x.ln()).abs() / 4.0) as u64;
            assert!(
                ulps(ours, libm) <= bound,
                "powf({x:e}, {y}) = {ours:e}, libm {libm:e}"
            );
        }
        assert_eq!(powf(3.0, 0.0), 1.0);
        assert_eq!(powf(f64::NAN, 0.0), 1.0);
        assert_eq!(powf(1.0, 1e300), 1.0);
        assert_eq!(powf(1.0, f64::NAN), 1.0);
        assert_eq!(powf(2.0, 10.0), 1024.0);
        assert_eq!(powf(0.0, 2.0), 0.0);
        assert_eq!(powf(0.0, -2.0), f64::INFINITY);
        assert!(powf(-2.0, 0.5).is_nan());
        assert!(powf(f64::NAN, 1.0).is_nan());
        assert_eq!(powf(10.0, 400.0), f64::INFINITY);
        assert_eq!(powf(10.0, -400.0), 0.0);
    }

    #[test]
    fn table_matches_powers_of_two() {
        // Each entry's double is 2^(j/128) to within libm's pow error, and its tail is below
        // half an ulp of it.
        for j in 0..128u64 {
            let hi = f64::from_bits(EXP_TABLE[2 * j as usize + 1].wrapping_add(j << 45));
            let want = 2f64.powf(j as f64 / 128.0);
            assert!(ulps(hi, want) <= 1, "entry {j}: {hi} vs {want}");
            let tail = f64::from_bits(EXP_TABLE[2 * j as usize]);
            assert!(tail.abs() <= f64::EPSILON / 2.0, "tail {j}: {tail:e}");
        }
    }

    /// Exact output bits, pinned so that any change of method, constant or platform
    /// behaviour shows up as a failure here rather than as drifting results.
    #[test]
    fn pinned_bits() {
        let exps = [
            (3.7, 0x4044_3941_44ee_ec81),
            (-0.5, 0x3fe3_68b2_fc6f_960a),
            (1e-3, 0x3ff0_0419_19b7_ee34),
            (0.1, 0x3ff1_aec7_b35a_00d4),
            (-20.25, 0x3e1b_93de_1e27_ca3b),
            (700.0, 0x7f0d_945d_f4f8_ec8e),
            (-740.0, 0x0000_0000_0000_0055),
        ];
        for (x, bits) in exps {
            assert_eq!(exp(x).to_bits(), bits, "exp({x})");
        }
        let lns = [
            (40.0, 0x400d_82d3_3b32_720d),
            (0.3, 0xbff3_4378_fcbd_a721),
            (1.08, 0x3fb3_b3b8_02be_eb94),
            (1e-310, 0xc086_4e69_394d_9508),
            (7.5e300, 0x4085_a652_cd72_0e6f),
        ];
        for (x, bits) in lns {
            assert_eq!(ln(x).to_bits(), bits, "ln({x})");
        }
        let pows = [
            (1.08, -7.5, 0x3fe1_f783_2129_6128),
            (1.1, 1.0 / 12.0, 0x3ff0_20a9_7e05_b193),
            (101.0, 1.0 / 12.0, 0x3ff7_8117_d381_c24a),
        ];
        for (x, y, bits) in pows {
            assert_eq!(powf(x, y).to_bits(), bits, "powf({x}, {y})");
        }
    }
}
