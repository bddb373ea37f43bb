/* Small helpers and the labels the field app shows. No DOM, no storage: node imports this for the unit tests. */

export function uuid() {
  // A client id is made when work starts, so a resend after a lost answer is recognised by the server (domain.md §8).
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const pad = (n) => String(n).padStart(2, "0");

export function fmt(iso, withTime = true) {
  if (!iso) return "";
  const d = new Date(iso);
  const day = `${d.getMonth() + 1}月${d.getDate()}日`;
  return withTime ? `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}` : day;
}

export function localDateTime(d) {
  // The value of an <input type="datetime-local"> for the phone's own clock.
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function maskPhone(phone) {
  // As the server shows it (personal data, domain.md §10): a new place's number is masked on the phone at once.
  return phone.replace(/^(\d{3})\d+(\d{4})$/, "$1****$2");
}

export const RISK = { red: ["红", "red"], orange: ["橙", "orange"], yellow: ["黄", "yellow"], blue: ["蓝", "blue"] };
export const DUE = { overdue: ["已超期", "red"], due: ["本周到期", "orange"], upcoming: ["未到期", "green"], inactive: ["停用", "grey"] };
export const KINDS = {
  lpg_point: "液化气点", rental_housing: "出租房", fireworks_seller: "烟花爆竹经营点", entertainment_venue: "文化娱乐场所",
  elevator: "电梯", crowded_place: "人员密集场所/三合一", road_section: "道路", other: "其他",
};
export const KIND_DOMAIN = {
  lpg_point: "lpg", rental_housing: "rental", fireworks_seller: "fireworks", entertainment_venue: "venue",
  elevator: "elevator", crowded_place: "fire", road_section: "road", other: "fire",
};
export const STATES = { pending_review: "待研判", dispatched: "已派遣", handling: "处置中", suspended: "挂账",
  pending_verification: "待核查", closed: "已结案" };
export const stateLabel = (c) => STATES[c.state] || c.state_label;
