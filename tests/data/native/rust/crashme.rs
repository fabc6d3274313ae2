mod engine {
    pub struct Gear { pub teeth: Vec<u32> }
    impl Gear {
        #[inline(never)]
        pub fn turn(&self, i: usize) -> u32 { if i >= self.teeth.len() { std::process::abort() } self.teeth[i] }
    }
    #[inline(never)]
    pub fn run<T: Into<usize> + Copy>(g: &Gear, n: T) -> u32 { g.turn(n.into()) }
}
fn main() {
    let g = engine::Gear { teeth: vec![1, 2, 3] };
    println!("{}", engine::run(&g, 7u8));
}
