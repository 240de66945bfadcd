/**
 * A radix (compressed) trie of literal path texts, the index of prefix and exact locations: a
 * node per point where paths branch or end instead of one per character, so 10,000 locations
 * build in a few milliseconds and a lookup compares whole edge labels.
 */

/** One node; `label` is the text of the edge that leads to it (empty for the root). */
export interface TrieNode {
  label: string
  /** Children by the first character code of their label. */
  children: Map<number, TrieNode> | undefined
  /** Ranks of prefix locations whose prefix ends at this node. */
  prefix: number[] | undefined
  /** Ranks of exact-path locations whose path ends at this node. */
  exact: number[] | undefined
}

/** A node with no children and no ranks. */
export function newTrieNode(label = ''): TrieNode {
  return { label, children: undefined, prefix: undefined, exact: undefined }
}

/** Length of the common prefix of `label` and `text` from `offset` (at least 1 by the caller). */
function commonLength(label: string, text: string, offset: number): number {
  let k = 1
  while (
    k < label.length &&
    offset + k < text.length &&
    label.charCodeAt(k) === text.charCodeAt(offset + k)
  ) {
    k++
  }
  return k
}

/** The node where `text` ends, created (splitting an edge if needed) when it is missing. */
export function insertPath(root: TrieNode, text: string): TrieNode {
  let node = root
  let i = 0
  while (i < text.length) {
    const code = text.charCodeAt(i)
    node.children ??= new Map()
    const child = node.children.get(code)
    if (child === undefined) {
      const leaf = newTrieNode(text.slice(i))
      node.children.set(code, leaf)
      return leaf
    }
    const k = commonLength(child.label, text, i)
    if (k < child.label.length) {
      // `text` ends or branches inside the edge: split it so that point becomes a node.
      const middle = newTrieNode(child.label.slice(0, k))
      child.label = child.label.slice(k)
      middle.children = new Map([[child.label.charCodeAt(0), child]])
      node.children.set(code, middle)
      node = middle
    } else {
      node = child
    }
    i += k
  }
  return node
}
