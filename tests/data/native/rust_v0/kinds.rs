#[inline(never)] pub fn g<T>(t: T) -> usize { std::hint::black_box(&t); std::mem::size_of::<T>() }
#[inline(never)] pub fn f<const N: usize, const C: char, const B: bool, const I: i32>() -> usize {
    N + C as usize + B as usize + I as usize }
unsafe extern "C" fn cabi(x: i32) -> i32 { x }
fn ünïcödé() -> u8 { 7 }
fn ident<'a>(x: &'a u8) -> &'a u8 { x }
pub struct Wrap<T>(pub T);
impl<T> Wrap<T> { #[inline(never)] pub fn get(&self) -> &T { &self.0 } }
pub trait Speak { fn speak(&self) -> u8; }
impl Speak for Wrap<u16> { #[inline(never)] fn speak(&self) -> u8 { 1 } }
fn main() {
    let mut n = 0usize;
    n += g(|x: &u8| *x);
    let clo = |x: &u32| *x;
    n += g::<&dyn Fn(&u32) -> u32>(&clo);
    n += g::<fn(&str) -> &str>(|s| s);
    n += g::<unsafe extern "C" fn(i32) -> i32>(cabi);
    n += g::<[u8; 4]>([0; 4]);
    n += g::<*const u8>(std::ptr::null());
    n += g::<*mut u8>(std::ptr::null_mut());
    n += g::<(u8,)>((1,));
    n += g::<(u8, i128, f64)>((1, 2, 3.0));
    let mut v = vec![1i64];
    n += g::<&mut [i64]>(&mut v[..]);
    n += f::<3, 'ä', true, -5>();
    n += ünïcödé() as usize;
    let mut it = vec![1u8].into_iter();
    n += g::<&mut dyn Iterator<Item = u8>>(&mut it);
    n += g::<for<'a> fn(&'a u8) -> &'a u8>(ident);
    n += g::<&(dyn Send + Sync)>(&5u8);
    n += *Wrap(3usize).get() + Wrap(2u16).speak() as usize;
    n += g::<Option<Box<dyn Speak>>>(None);
    println!("{n}");
}
