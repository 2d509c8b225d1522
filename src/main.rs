fn main() {
    println!("spinspice");
}
