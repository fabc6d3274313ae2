mod engine {
    pub struct Gear { pub teeth: Vec<u32> }
    impl Gear {
        #[inline(never)]
        pub fn turn(&self, i: usize) -> u32 { if i >= self.teeth.len() { std::process::abort() } self.teeth[i] }
    }
    pub trait Crank { fn crank(&self, n: usize) -> u32; }
    impl<T: AsRef<[u32]>> Crank for T {
        #[inline(never)]
        fn crank(&self, n: usize) -> u32 { Gear { teeth: self.as_ref().to_vec() }.turn(n) }
    }
    #[inline(never)]
    pub fn run<T: Into<usize> + Copy>(g: &dyn Crank, n: T) -> u32 { g.crank(n.into()) }
}
fn main() {
    let teeth: Vec<u32> = vec![1, 2, 3];
    let f = |n: u8| engine::run(&teeth, n);
    println!("{}", f(7u8));
}
