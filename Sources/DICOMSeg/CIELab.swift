import Foundation

/// RecommendedDisplayCIELabValue (0062,000D): a colour as DICOM's scaled CIELab (PS3.3 C.10.7.1.1),
/// three unsigned 16-bit values: L* 0...100 to 0...65535, a* and b* −128...127 to 0...65535
/// ((v + 128) · 65535 / 255), in the ICC profile connection space (illuminant D50).
///
/// From 8-bit sRGB: each channel to linear light (IEC 61966-2-1: c/12.92 up to 0.04045, else
/// ((c + 0.055)/1.055)^2.4), to XYZ under D50 by the Bradford-adapted sRGB matrix, then CIE 1976
/// L*a*b* against the D50 white (0.96422, 1, 0.82521: the matrix's image of sRGB white, so that
/// white has a* = b* = 0 exactly) with f(t) = t^(1/3) above (6/29)³ and
/// t/(3·(6/29)²) + 4/29 below.
public enum CIELab {
  public static func dicomValue(red: UInt8, green: UInt8, blue: UInt8) -> [UInt16] {
    func linear(_ c: UInt8) -> Double {
      let v = Double(c) / 255
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055).pow(2.4)
    }
    let (r, g, b) = (linear(red), linear(green), linear(blue))
    let x = 0.4360747 * r + 0.3850649 * g + 0.1430804 * b
    let y = 0.2225045 * r + 0.7168786 * g + 0.0606169 * b
    let z = 0.0139322 * r + 0.0971045 * g + 0.7141733 * b
    let delta = 6.0 / 29.0
    func f(_ t: Double) -> Double {
      t > delta * delta * delta ? t.pow(1.0 / 3.0) : t / (3 * delta * delta) + 4.0 / 29.0
    }
    let (fx, fy, fz) = (f(x / 0.9642200), f(y / 1.0), f(z / 0.8252100))
    let l = 116 * fy - 16
    let a = 500 * (fx - fy)
    let bStar = 200 * (fy - fz)
    func scaled(_ v: Double) -> UInt16 { UInt16(min(65535, max(0, v.rounded(.toNearestOrEven)))) }
    return [scaled(l * 65535 / 100), scaled((a + 128) * 65535 / 255), scaled((bStar + 128) * 65535 / 255)]
  }
}

extension Double {
  fileprivate func pow(_ exponent: Double) -> Double { Foundation.pow(self, exponent) }
}
