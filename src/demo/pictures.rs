//! The demo's cover pictures, drawn here from simple shapes (nothing is downloaded): one scene
//! for each demo post, with the alt text that says what the scene shows. Every scene differs,
//! so no two posts share a picture (the file store keeps one copy of equal bytes).

use image::{ImageFormat, Rgb, RgbImage};

const W: i32 = 1200;
const H: i32 = 675;

/// A scene the demo draws, one per post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    SkylineAtDusk,
    RiverAndBridge,
    ParkWithTrees,
    HousesAtNight,
    BusOnStreet,
    TowerOverHills,
}

impl Scene {
    pub const ALL: [Scene; 6] = [
        Scene::SkylineAtDusk,
        Scene::RiverAndBridge,
        Scene::ParkWithTrees,
        Scene::HousesAtNight,
        Scene::BusOnStreet,
        Scene::TowerOverHills,
    ];

    /// What the picture shows, for people who cannot see it.
    pub fn alt(self) -> &'static str {
        match self {
            Scene::SkylineAtDusk => {
                "A city skyline at dusk: dark towers with lit windows under a purple and orange sky, the sun setting behind them"
            }
            Scene::RiverAndBridge => {
                "A stone bridge with three arches over a blue river between green banks, under a clear sky"
            }
            Scene::ParkWithTrees => {
                "A park on a sunny day: round green trees, a winding sand path and a wooden bench on the grass"
            }
            Scene::HousesAtNight => {
                "A row of houses with lit windows along a street at night, under street lamps, the moon and stars"
            }
            Scene::BusOnStreet => {
                "A red city bus on a street in front of a row of shops with striped awnings, in morning light"
            }
            Scene::TowerOverHills => {
                "A communications tower sending signals over green rolling hills dotted with small farmhouses"
            }
        }
    }

    /// The picture as a PNG, 1200 × 675.
    pub fn png(self) -> Vec<u8> {
        let mut c = Canvas(RgbImage::new(W as u32, H as u32));
        match self {
            Scene::SkylineAtDusk => skyline(&mut c),
            Scene::RiverAndBridge => river(&mut c),
            Scene::ParkWithTrees => park(&mut c),
            Scene::HousesAtNight => houses(&mut c),
            Scene::BusOnStreet => bus(&mut c),
            Scene::TowerOverHills => tower(&mut c),
        }
        let mut out = std::io::Cursor::new(Vec::new());
        c.0.write_to(&mut out, ImageFormat::Png)
            .expect("encoding a PNG in memory");
        out.into_inner()
    }
}

/// A small deterministic sequence, for the scenes' irregular details.
struct Dice(u32);

impl Dice {
    fn next(&mut self, below: u32) -> i32 {
        self.0 = self.0.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        ((self.0 >> 8) % below) as i32
    }
}

/// An image with a few filled shapes, clipped to its edges.
struct Canvas(RgbImage);

impl Canvas {
    fn set(&mut self, x: i32, y: i32, color: [u8; 3]) {
        if (0..W).contains(&x) && (0..H).contains(&y) {
            self.0.put_pixel(x as u32, y as u32, Rgb(color));
        }
    }

    /// A vertical gradient from `top` to `bottom` over the rows `y0..y1`.
    fn gradient(&mut self, y0: i32, y1: i32, top: [u8; 3], bottom: [u8; 3]) {
        for y in y0.max(0)..y1.min(H) {
            let t = (y - y0) as f32 / (y1 - y0).max(1) as f32;
            let color = mix(top, bottom, t);
            for x in 0..W {
                self.set(x, y, color);
            }
        }
    }

    fn rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, color: [u8; 3]) {
        for y in y0.max(0)..y1.min(H) {
            for x in x0.max(0)..x1.min(W) {
                self.set(x, y, color);
            }
        }
    }

    fn circle(&mut self, cx: i32, cy: i32, r: i32, color: [u8; 3]) {
        for y in (cy - r).max(0)..(cy + r + 1).min(H) {
            for x in (cx - r).max(0)..(cx + r + 1).min(W) {
                if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                    self.set(x, y, color);
                }
            }
        }
    }

    /// Part of a ring around `(cx, cy)` of radius `r` and width `width`, between two angles
    /// in degrees (0 to the right, 90 up).
    fn arc(
        &mut self,
        (cx, cy): (i32, i32),
        r: i32,
        width: i32,
        (from, to): (f32, f32),
        color: [u8; 3],
    ) {
        let outer = r + width / 2;
        let inner = r - width / 2;
        for y in (cy - outer).max(0)..(cy + outer + 1).min(H) {
            for x in (cx - outer).max(0)..(cx + outer + 1).min(W) {
                let d2 = (x - cx).pow(2) + (y - cy).pow(2);
                if d2 > outer * outer || d2 < inner * inner {
                    continue;
                }
                let angle = ((cy - y) as f32).atan2((x - cx) as f32).to_degrees();
                if angle >= from && angle <= to {
                    self.set(x, y, color);
                }
            }
        }
    }

    /// A filled polygon (scanline, even-odd).
    fn polygon(&mut self, points: &[(i32, i32)], color: [u8; 3]) {
        let top = points.iter().map(|p| p.1).min().unwrap_or(0).max(0);
        let bottom = points.iter().map(|p| p.1).max().unwrap_or(0).min(H - 1);
        for y in top..=bottom {
            let yc = y as f32 + 0.5;
            let mut xs: Vec<f32> = Vec::new();
            for (i, &(x0, y0)) in points.iter().enumerate() {
                let (x1, y1) = points[(i + 1) % points.len()];
                let (fy0, fy1) = (y0 as f32, y1 as f32);
                if (fy0 <= yc && yc < fy1) || (fy1 <= yc && yc < fy0) {
                    xs.push(x0 as f32 + (yc - fy0) / (fy1 - fy0) * (x1 - x0) as f32);
                }
            }
            xs.sort_by(f32::total_cmp);
            for pair in xs.chunks(2) {
                if let [a, b] = pair {
                    for x in (a.round() as i32).max(0)..(b.round() as i32).min(W) {
                        self.set(x, y, color);
                    }
                }
            }
        }
    }

    /// A straight line `width` pixels wide.
    fn line(&mut self, from: (i32, i32), to: (i32, i32), width: i32, color: [u8; 3]) {
        let (dx, dy) = ((to.0 - from.0) as f32, (to.1 - from.1) as f32);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (nx, ny) = (
            (-dy / len * width as f32 / 2.0).round() as i32,
            (dx / len * width as f32 / 2.0).round() as i32,
        );
        let (nx, ny) = if nx == 0 && ny == 0 { (1, 0) } else { (nx, ny) };
        self.polygon(
            &[
                (from.0 + nx, from.1 + ny),
                (to.0 + nx, to.1 + ny),
                (to.0 - nx, to.1 - ny),
                (from.0 - nx, from.1 - ny),
            ],
            color,
        );
    }

    /// The outline of a hill: rows from `y(x)` down to the bottom.
    fn hill(&mut self, y: impl Fn(f32) -> f32, color: [u8; 3]) {
        for x in 0..W {
            let top = y(x as f32) as i32;
            for yy in top.max(0)..H {
                self.set(x, yy, color);
            }
        }
    }
}

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    let m = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
    [m(a[0], b[0]), m(a[1], b[1]), m(a[2], b[2])]
}

/// Dark towers with lit windows before a setting sun.
fn skyline(c: &mut Canvas) {
    c.gradient(0, 600, [46, 30, 98], [250, 150, 82]);
    c.circle(470, 350, 70, [255, 204, 120]);
    let mut dice = Dice(7);
    let mut x = -20;
    while x < W {
        let width = 70 + dice.next(80);
        let height = 180 + dice.next(300);
        let top = 600 - height;
        let shade = [34 + dice.next(12) as u8, 28, 58 + dice.next(14) as u8];
        c.rect(x, top, x + width, H, shade);
        // A spire on some towers.
        if dice.next(4) == 0 {
            c.rect(x + width / 2 - 3, top - 50, x + width / 2 + 3, top, shade);
        }
        let mut wy = top + 18;
        while wy < 590 {
            let mut wx = x + 10;
            while wx + 12 < x + width - 6 {
                if dice.next(3) > 0 {
                    c.rect(wx, wy, wx + 10, wy + 14, [255, 214, 120]);
                }
                wx += 20;
            }
            wy += 28;
        }
        x += width + 6;
    }
    c.rect(0, 600, W, H, [24, 20, 40]);
}

/// A stone bridge with three arches over a river.
fn river(c: &mut Canvas) {
    c.gradient(0, 420, [92, 160, 228], [206, 230, 248]);
    c.hill(|x| 360.0 + 25.0 * (x / 140.0).sin(), [120, 170, 110]);
    c.gradient(430, H, [52, 118, 186], [30, 80, 150]);
    // Ripples on the water.
    let mut dice = Dice(11);
    for _ in 0..40 {
        let (x, y) = (dice.next(W as u32), 470 + dice.next(190));
        c.rect(x, y, x + 30 + dice.next(40), y + 3, [140, 190, 230]);
    }
    // The banks.
    c.polygon(
        &[(0, 380), (230, 380), (330, 470), (360, H), (0, H)],
        [76, 146, 74],
    );
    c.polygon(
        &[(W, 380), (970, 380), (870, 470), (840, H), (W, H)],
        [76, 146, 74],
    );
    // The bridge: a deck with a parapet, and three arches cut out of its wall.
    let stone = [158, 136, 112];
    let background = c.0.clone();
    c.rect(170, 300, 1030, 470, stone);
    // Joints between the stones.
    for y in (320..470).step_by(30) {
        c.rect(170, y, 1030, y + 2, [138, 118, 96]);
    }
    c.rect(160, 285, 1040, 305, [128, 108, 88]);
    for cx in [370, 600, 830] {
        for y in 360..470 {
            for x in (cx - 95)..=(cx + 95) {
                let dy = (y - 470) as f32 / 110.0;
                let dx = (x - cx) as f32 / 95.0;
                if dx * dx + dy * dy <= 1.0 {
                    let p = *background.get_pixel(x as u32, y as u32);
                    c.set(x, y, p.0);
                }
            }
        }
    }
}

/// Round trees, a winding path and a bench in a park.
fn park(c: &mut Canvas) {
    c.gradient(0, 420, [120, 190, 240], [214, 236, 250]);
    c.circle(1060, 110, 60, [255, 222, 90]);
    c.hill(|x| 370.0 + 18.0 * (x / 210.0).cos(), [118, 186, 92]);
    // The path, from the front to the distance.
    let mut left = Vec::new();
    let mut right = Vec::new();
    for i in 0..=20 {
        let t = i as f32 / 20.0;
        let y = H as f32 - t * 290.0;
        let centre = 600.0 + 180.0 * (t * 5.0).sin() * (1.0 - t * 0.6);
        let half = 110.0 * (1.0 - t) + 12.0;
        left.push(((centre - half) as i32, y as i32));
        right.push(((centre + half) as i32, y as i32));
    }
    right.reverse();
    left.extend(right);
    c.polygon(&left, [226, 204, 150]);
    // Trees: far ones small, near ones large.
    for (x, ground, size) in [
        (150, 560, 95),
        (330, 430, 55),
        (900, 450, 60),
        (1080, 600, 110),
        (760, 400, 35),
        (470, 395, 30),
    ] {
        c.rect(
            x - size / 6,
            ground - size * 2,
            x + size / 6,
            ground,
            [112, 76, 44],
        );
        let crown = [40 + (size % 30) as u8, 126 + (size % 20) as u8, 58];
        c.circle(x, ground - size * 2, size, crown);
        c.circle(x - size * 2 / 3, ground - size * 3 / 2, size * 2 / 3, crown);
        c.circle(x + size * 2 / 3, ground - size * 3 / 2, size * 2 / 3, crown);
    }
    // A bench beside the path.
    let wood = [140, 92, 50];
    c.rect(820, 560, 980, 576, wood);
    c.rect(820, 530, 980, 542, wood);
    c.rect(832, 576, 842, 610, [70, 60, 50]);
    c.rect(958, 576, 968, 610, [70, 60, 50]);
}

/// A row of houses on a street at night.
fn houses(c: &mut Canvas) {
    c.gradient(0, 560, [12, 20, 56], [48, 64, 118]);
    c.circle(1040, 100, 48, [240, 238, 214]);
    let mut dice = Dice(23);
    for _ in 0..60 {
        let (x, y) = (dice.next(W as u32), dice.next(300));
        c.rect(x, y, x + 3, y + 3, [230, 230, 250]);
    }
    let walls = [
        [120, 70, 60],
        [70, 90, 110],
        [110, 100, 70],
        [80, 100, 80],
        [100, 70, 100],
        [120, 90, 60],
    ];
    let mut x = 10;
    for (i, wall) in walls.iter().enumerate() {
        let width = 170 + dice.next(30);
        let top = 290 + dice.next(60);
        c.rect(x, top, x + width, 540, *wall);
        c.polygon(
            &[
                (x - 10, top),
                (x + width / 2, top - 90),
                (x + width + 10, top),
            ],
            [50, 40, 52],
        );
        // Windows: lit or dark; a door.
        for (wx, wy) in [
            (x + 22, top + 30),
            (x + width - 62, top + 30),
            (x + 22, top + 120),
        ] {
            let lit = !(i + wx as usize).is_multiple_of(3);
            c.rect(
                wx,
                wy,
                wx + 40,
                wy + 50,
                if lit { [252, 212, 110] } else { [30, 34, 60] },
            );
        }
        c.rect(x + width - 62, top + 130, x + width - 22, 540, [60, 40, 30]);
        x += width + 12;
    }
    c.rect(0, 540, W, 575, [96, 96, 106]);
    c.rect(0, 575, W, H, [44, 44, 54]);
    for lx in (60..W).step_by(280) {
        c.rect(lx - 4, 380, lx + 4, 560, [30, 30, 36]);
        c.circle(lx, 380, 34, [90, 84, 70]);
        c.circle(lx, 380, 16, [255, 232, 150]);
    }
    for dx in (0..W).step_by(120) {
        c.rect(dx, 622, dx + 60, 628, [200, 190, 120]);
    }
}

/// A red bus in front of shops in the morning.
fn bus(c: &mut Canvas) {
    c.gradient(0, 300, [168, 208, 240], [252, 222, 172]);
    let fronts = [
        [178, 90, 70],
        [214, 184, 140],
        [150, 110, 90],
        [196, 150, 96],
        [120, 130, 150],
    ];
    let awnings = [
        [40, 120, 90],
        [200, 60, 60],
        [50, 90, 160],
        [220, 160, 40],
        [120, 70, 140],
    ];
    let mut x = 0;
    for (i, front) in fronts.iter().enumerate() {
        let width = 240;
        let top = 90 + (i as i32 % 3) * 40;
        c.rect(x, top, x + width, 470, *front);
        for wy in [top + 30, top + 110] {
            if wy + 50 < 300 {
                c.rect(x + 30, wy, x + 100, wy + 50, [200, 224, 240]);
                c.rect(x + 140, wy, x + 210, wy + 50, [200, 224, 240]);
            }
        }
        // A striped awning over a shop window.
        for s in 0..8 {
            let color = if s % 2 == 0 {
                awnings[i]
            } else {
                [245, 240, 230]
            };
            c.polygon(
                &[
                    (x + 10 + s * 27, 310),
                    (x + 37 + s * 27, 310),
                    (x + 40 + s * 27, 345),
                    (x + 7 + s * 27, 345),
                ],
                color,
            );
        }
        c.rect(x + 20, 350, x + 220, 460, [190, 214, 230]);
        x += width;
    }
    c.rect(0, 470, W, 500, [170, 168, 160]);
    c.rect(0, 500, W, H, [78, 80, 86]);
    for dx in (0..W).step_by(160) {
        c.rect(dx, 620, dx + 90, 630, [240, 240, 240]);
    }
    // The bus.
    let red = [196, 36, 40];
    c.rect(260, 300, 940, 560, red);
    c.circle(275, 315, 15, red);
    c.rect(260, 300, 940, 315, red);
    c.rect(260, 530, 940, 545, [150, 24, 30]);
    for wx in (300..820).step_by(90) {
        c.rect(wx, 330, wx + 74, 420, [176, 216, 238]);
    }
    c.rect(840, 330, 920, 520, [60, 70, 80]);
    c.rect(848, 338, 912, 420, [176, 216, 238]);
    c.rect(300, 302, 560, 322, [250, 200, 60]);
    c.rect(920, 470, 940, 500, [255, 236, 160]);
    for wx in [380, 800] {
        c.circle(wx, 560, 48, [28, 28, 30]);
        c.circle(wx, 560, 20, [160, 160, 166]);
    }
}

/// A tower sending signals over rolling hills with farmhouses.
fn tower(c: &mut Canvas) {
    c.gradient(0, 460, [110, 170, 226], [222, 236, 246]);
    c.hill(|x| 330.0 + 40.0 * (x / 180.0).sin(), [132, 190, 112]);
    c.hill(|x| 430.0 + 50.0 * (x / 130.0 + 1.0).cos(), [98, 166, 88]);
    c.hill(|x| 540.0 + 40.0 * (x / 100.0 + 2.0).sin(), [70, 140, 70]);
    for (x, ground, size) in [
        (180, 420, 50),
        (520, 500, 60),
        (1000, 410, 44),
        (840, 590, 70),
    ] {
        c.rect(x, ground - size, x + size * 3 / 2, ground, [236, 230, 214]);
        c.polygon(
            &[
                (x - 8, ground - size),
                (x + size * 3 / 4, ground - size * 2),
                (x + size * 3 / 2 + 8, ground - size),
            ],
            [168, 54, 44],
        );
        c.rect(
            x + size / 2,
            ground - size / 2,
            x + size,
            ground,
            [110, 80, 60],
        );
    }
    // The lattice tower, red and white, on the middle hill.
    let (base_y, top_y, cx) = (470, 110, 660);
    let steel = [200, 56, 50];
    c.line((cx - 60, base_y), (cx - 6, top_y), 8, steel);
    c.line((cx + 60, base_y), (cx + 6, top_y), 8, steel);
    let mut y = base_y;
    let mut zig = true;
    while y > top_y + 30 {
        let next = y - 45;
        let half = |y: i32| 6 + (y - top_y) * 54 / (base_y - top_y);
        let (a, b) = if zig {
            ((cx - half(y), y), (cx + half(next), next))
        } else {
            ((cx + half(y), y), (cx - half(next), next))
        };
        c.line(a, b, 4, [240, 240, 240]);
        c.line((cx - half(y), y), (cx + half(y), y), 4, steel);
        y = next;
        zig = !zig;
    }
    c.circle(cx, top_y - 6, 12, [250, 80, 60]);
    // Signals spreading to both sides.
    for r in [50, 90, 130] {
        c.arc((cx, top_y - 6), r, 8, (-35.0, 35.0), [255, 255, 255]);
        c.arc((cx, top_y - 6), r, 8, (145.0, 180.0), [255, 255, 255]);
        c.arc((cx, top_y - 6), r, 8, (-180.0, -145.0), [255, 255, 255]);
    }
}

#[cfg(test)]
mod tests {
    use super::Scene;

    #[test]
    fn every_scene_is_a_picture_of_its_own_with_its_own_description() {
        let pictures: Vec<Vec<u8>> = Scene::ALL.iter().map(|s| s.png()).collect();
        for (i, a) in pictures.iter().enumerate() {
            assert!(a.starts_with(b"\x89PNG"));
            for b in &pictures[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let mut alts: Vec<&str> = Scene::ALL.iter().map(|s| s.alt()).collect();
        alts.sort_unstable();
        alts.dedup();
        assert_eq!(alts.len(), Scene::ALL.len());
    }
}
