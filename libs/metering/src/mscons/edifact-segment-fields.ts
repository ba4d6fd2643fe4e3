import { EdifactSegment } from './edifact-segment-reader';
import { MsconsError, MsconsSegmentRef } from './mscons.error';

/** Reading fields out of a segment, each failure naming the segment, the field and why. */

export function ref(segment: EdifactSegment): MsconsSegmentRef {
  return { number: segment.number, tag: segment.tag };
}

export function requiredComponent(segment: EdifactSegment, element: number, component: number, field: string, maxLength: number): string {
  const value = optionalComponent(segment, element, component, field, maxLength);
  if (value === null) throw new MsconsError('MISSING_ELEMENT', ref(segment), field, 'is missing or empty');
  return value;
}

export function optionalComponent(segment: EdifactSegment, element: number, component: number, field: string, maxLength: number): string | null {
  const components = element < segment.elements.length ? segment.elements[element] : undefined;
  const value = components !== undefined && component < components.length ? components[component] : '';
  if (value === '') return null;
  if (value.length > maxLength) {
    throw new MsconsError('ELEMENT_TOO_LONG', ref(segment), field, `is ${value.length} characters long, at most ${maxLength} allowed`);
  }
  return value;
}

export function isTag(tag: string): boolean {
  if (tag.length !== 3) return false;
  for (let i = 0; i < 3; i += 1) {
    const code = tag.charCodeAt(i);
    if (!((code >= 65 && code <= 90) || (code >= 48 && code <= 57))) return false;
  }
  return true;
}
