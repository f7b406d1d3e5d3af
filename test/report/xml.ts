/**
 * A small XML well-formedness checker for tests (no XML parser is a dependency): one root element, tags nest and
 * close in order, attributes are quoted and unique, and every entity reference is one of the five predefined
 * ones or a character reference. Returns the problems found ([] when well-formed) and the parsed element tree.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

export function checkXml(xml: string): { problems: string[]; root: XmlElement | null } {
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  for (const m of body.matchAll(/&([^;\s]*);?/g)) {
    if (!/^&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(m[0])) problems.push(`bad entity ${m[0]}`);
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const text = body.slice(i, lt < 0 ? body.length : lt);
    if (text.trim()) {
      if (stack.length === 0) problems.push(`text outside the root: ${text.trim().slice(0, 30)}`);
      else stack[stack.length - 1].text += decode(text);
    }
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    if (!m) {
      problems.push(`malformed tag at ${lt}: ${body.slice(lt, lt + 40)}`);
      break;
    }
    const [, closing, name, attrs, selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) problems.push(`</${name}> closes ${open ? `<${open.name}>` : 'nothing'}`);
    } else {
      const attributes: Record<string, string> = {};
      for (const a of attrs.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1] in attributes) problems.push(`duplicate attribute ${a[1]} on <${name}>`);
        attributes[a[1]] = decode(a[2] ?? a[3]);
      }
      const element: XmlElement = { name, attributes, children: [], text: '' };
      if (stack.length) stack[stack.length - 1].children.push(element);
      else if (root) problems.push(`second root element <${name}>`);
      else root = element;
      if (!selfClosing) stack.push(element);
    }
    i = tag.lastIndex;
  }
  if (stack.length) problems.push(`unclosed ${stack.map((e) => `<${e.name}>`).join(', ')}`);
  if (!root) problems.push('no root element');
  return { problems, root };
}
