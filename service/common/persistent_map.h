// PersistentMap<V> is a hash map from strings to V whose copies share
// structure: copying one costs a reference count, and changing a copy (Set,
// Erase) copies only the nodes on the path to the changed entry, about
// log32(size) nodes of at most 32 slots, leaving every other copy exactly as
// it was. That is what lets corsd publish a new version of a 100,000-tenant
// directory for the price of one tenant: readers keep the old version for as
// long as they hold it, writers never copy the whole map.
//
// It is a hash array mapped trie (Bagwell, "Ideal Hash Trees", 2001) in the
// CHAMP layout (Steindorfer and Vinju, 2015): each node keeps its entries and
// its children in two arrays indexed by a bitmap of five hash bits, and an
// Erase folds a child of one entry back into its parent, so a map has one
// shape for its contents whatever the order of changes. Keys whose 64-bit
// hashes are equal share a collision node at the bottom (a linear list).
//
//   PersistentMap<int> a;
//   a.Set("shop", 1);
//   PersistentMap<int> b = a;       // O(1), shares every node
//   b.Set("blog", 2);               // copies one path; `a` is unchanged
//   *b.Find("shop");                // 1
//   a.Find("blog");                 // nullptr
//
//   PersistentMap<int>::Builder builder;   // bulk: changes nodes in place
//   for (...) builder.Set(name, value);
//   PersistentMap<int> all = std::move(builder).Build();
//
// Thread safety: like a value. Any number of threads may read one map (and
// its copies) concurrently; a thread that changes a map must be the only one
// using that object, but never affects copies other threads hold, because a
// node is changed in place only by the Builder that created it, before the
// map it builds exists. Nodes are freed when the last copy that uses them is.
//
// Iteration order is the order of the keys' hashes: unspecified, but the same
// for maps with the same contents in one process. `Hash` maps a key to 64
// bits; tests pass a weak one to force collisions.
//
// `Key` is std::string, or absl::string_view for a map whose values own their
// keys (a tenant snapshot and its name): the entry then stores no copy, and
// the caller promises the view stays valid while its value does, e.g.
// `map.Set(tenant->name, tenant)`, never a temporary's or another object's
// bytes.
#ifndef CORSD_SERVICE_COMMON_PERSISTENT_MAP_H_
#define CORSD_SERVICE_COMMON_PERSISTENT_MAP_H_

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace corsd {

namespace persistent_map_internal {
template <typename T>
inline constexpr bool kIsSharedPtr = false;
template <typename T>
inline constexpr bool kIsSharedPtr<std::shared_ptr<T>> = true;
}  // namespace persistent_map_internal

template <typename V, typename Hash = absl::Hash<absl::string_view>, typename Key = std::string>
class PersistentMap {
  struct Node;  // a trie node, defined below
  // A viewed key must not move when entries are copied or moved between
  // nodes: its bytes must live behind the value, not in it.
  static_assert(!std::is_same_v<Key, absl::string_view> || persistent_map_internal::kIsSharedPtr<V>,
                "string_view keys need values that own their bytes elsewhere (a shared_ptr)");

 public:
  struct Entry {
    uint64_t hash;
    Key key;
    V value;
  };

  PersistentMap() = default;
  PersistentMap(const PersistentMap&) = default;
  PersistentMap& operator=(const PersistentMap&) = default;
  // A moved-from map is empty (its size too).
  PersistentMap(PersistentMap&& other) noexcept
      : root_(std::move(other.root_)), size_(std::exchange(other.size_, 0)) {}
  PersistentMap& operator=(PersistentMap&& other) noexcept {
    root_ = std::move(other.root_);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The value for `key`, or nullptr. Valid while this map (or a copy
  // sharing the entry) is alive and unchanged.
  const V* Find(absl::string_view key) const {
    if (root_ == nullptr) return nullptr;
    const Entry* entry = FindEntry(*root_, HashOf(key), key);
    return entry == nullptr ? nullptr : &entry->value;
  }

  // Adds or replaces. Copies the path to the entry; other copies keep theirs.
  void Set(Key key, V value) { SetWithEdit(std::move(key), std::move(value), kNoEdit); }
  // Removes `key`; false when it was not there (nothing is copied then).
  bool Erase(absl::string_view key) { return EraseWithEdit(key, kNoEdit); }

  // Calls f(const Entry&) for every entry.
  template <typename F>
  void ForEach(F&& f) const {
    if (root_ != nullptr) ForEachIn(*root_, f);
  }

  // Walks a map entry by entry, for callers that take a few at a time (a
  // stream sending its initial state in chunks). Holds its own copy of the
  // map, so it stays valid whatever happens to the map it came from.
  class Cursor {
   public:
    explicit Cursor(PersistentMap map) : map_(std::move(map)) {
      if (map_.root_ != nullptr) stack_.push_back({map_.root_.get(), 0});
      Settle();
    }
    // The next entry, or nullptr at the end.
    const Entry* Next() {
      if (stack_.empty()) return nullptr;
      Frame& top = stack_.back();
      const Entry* entry = &top.node->entries[top.position++];
      Settle();
      return entry;
    }
    // True when Next() would return nullptr.
    bool AtEnd() const { return stack_.empty(); }

   private:
    struct Frame {
      const Node* node;
      size_t position;  // entries first, then children
    };
    // Moves to the next entry (the top frame's position is an entry), or
    // empties the stack at the end.
    void Settle() {
      while (!stack_.empty()) {
        Frame& top = stack_.back();
        const Node& node = *top.node;
        if (top.position < node.entries.size()) return;
        const size_t child = top.position - node.entries.size();
        if (child < node.children.size()) {
          ++top.position;
          stack_.push_back({node.children[child].get(), 0});
        } else {
          stack_.pop_back();
        }
      }
    }
    PersistentMap map_;
    std::vector<Frame> stack_;
  };

  // Builds or rewrites a map in bulk: nodes it creates are changed in place
  // by later calls instead of being copied again. Start from an existing map
  // to change many entries of it at once (its shared nodes are still copied
  // once, never changed). Single-threaded, like any mutable object.
  class Builder {
   public:
    explicit Builder(PersistentMap start = PersistentMap()) : map_(std::move(start)) {}
    // Two builders with one edit id would change each other's nodes.
    Builder(const Builder&) = delete;
    Builder& operator=(const Builder&) = delete;
    void Set(Key key, V value) { map_.SetWithEdit(std::move(key), std::move(value), edit_); }
    bool Erase(absl::string_view key) { return map_.EraseWithEdit(key, edit_); }
    const V* Find(absl::string_view key) const { return map_.Find(key); }
    size_t size() const { return map_.size(); }
    // The map built, its nodes trimmed to what they hold (a bulk load grew
    // them one entry at a time). They still carry this builder's edit id,
    // which no other builder ever gets, so nothing changes them again.
    PersistentMap Build() && {
      if (map_.root_ != nullptr) ShrinkOwned(map_.root_.get(), edit_);
      return std::move(map_);
    }

   private:
    PersistentMap map_;
    const uint64_t edit_ = NextEdit();
  };

 private:
  static constexpr int kBitsPerLevel = 5;
  static constexpr int kHashBits = 64;
  static constexpr uint64_t kNoEdit = 0;  // always copy

  struct Node {
    uint32_t entry_map = 0;   // bit i: slot i holds an entry (in `entries`)
    uint32_t child_map = 0;   // bit i: slot i holds a child (in `children`)
    uint64_t edit = kNoEdit;  // the Builder that may change this node in place
    // Below the last hash level (a collision node), `entries` is a plain
    // list of keys with the same hash and both maps are unused.
    std::vector<Entry> entries;
    std::vector<std::shared_ptr<Node>> children;
  };

  static uint64_t HashOf(absl::string_view key) { return Hash{}(key); }
  static uint32_t SlotBit(uint64_t hash, int shift) {
    return uint32_t{1} << ((hash >> shift) & ((1u << kBitsPerLevel) - 1));
  }
  static size_t IndexOf(uint32_t map, uint32_t bit) { return std::popcount(map & (bit - 1)); }
  static bool IsCollisionLevel(int shift) { return shift >= kHashBits; }

  static uint64_t NextEdit() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  static const Entry* FindEntry(const Node& root, uint64_t hash, absl::string_view key) {
    const Node* node = &root;
    for (int shift = 0;; shift += kBitsPerLevel) {
      if (IsCollisionLevel(shift)) {
        for (const Entry& entry : node->entries) {
          if (entry.key == key) return &entry;
        }
        return nullptr;
      }
      const uint32_t bit = SlotBit(hash, shift);
      if (node->entry_map & bit) {
        const Entry& entry = node->entries[IndexOf(node->entry_map, bit)];
        return entry.hash == hash && entry.key == key ? &entry : nullptr;
      }
      if (!(node->child_map & bit)) return nullptr;
      node = node->children[IndexOf(node->child_map, bit)].get();
    }
  }

  // The node in `slot`, made changeable by `edit`: the node itself when that
  // builder created it, otherwise a copy put in its place.
  static Node* Editable(std::shared_ptr<Node>& slot, uint64_t edit) {
    if (edit != kNoEdit && slot->edit == edit) return slot.get();
    slot = std::make_shared<Node>(*slot);
    slot->edit = edit;
    return slot.get();
  }

  // Trims the vectors of the nodes `edit` made, which are the only ones it
  // may change; nodes shared with other maps are left alone.
  static void ShrinkOwned(Node* node, uint64_t edit) {
    if (node->edit != edit) return;
    node->entries.shrink_to_fit();
    node->children.shrink_to_fit();
    for (const std::shared_ptr<Node>& child : node->children) ShrinkOwned(child.get(), edit);
  }

  void SetWithEdit(Key key, V value, uint64_t edit) {
    const uint64_t hash = HashOf(key);
    Node* node;
    if (root_ == nullptr) {
      root_ = std::make_shared<Node>();
      root_->edit = edit;
      node = root_.get();
    } else {
      node = Editable(root_, edit);
    }
    Entry entry{hash, std::move(key), std::move(value)};
    for (int shift = 0;; shift += kBitsPerLevel) {
      if (IsCollisionLevel(shift)) {
        for (Entry& existing : node->entries) {
          if (existing.key == entry.key) {
            existing = std::move(entry);  // the key too: it may view the value
            return;
          }
        }
        node->entries.push_back(std::move(entry));
        ++size_;
        return;
      }
      const uint32_t bit = SlotBit(hash, shift);
      if (node->entry_map & bit) {
        const size_t index = IndexOf(node->entry_map, bit);
        Entry& existing = node->entries[index];
        if (existing.hash == hash && existing.key == entry.key) {
          existing = std::move(entry);  // the key too: it may view the value
          return;
        }
        // Two keys in one slot: both move one level down, into a new child.
        auto child = std::make_shared<Node>();
        child->edit = edit;
        PlaceBoth(child.get(), std::move(existing), std::move(entry), shift + kBitsPerLevel);
        node->entries.erase(node->entries.begin() + index);
        node->entry_map &= ~bit;
        node->child_map |= bit;
        node->children.insert(node->children.begin() + IndexOf(node->child_map, bit),
                              std::move(child));
        ++size_;
        return;
      }
      if (node->child_map & bit) {
        node = Editable(node->children[IndexOf(node->child_map, bit)], edit);
        continue;
      }
      node->entry_map |= bit;
      node->entries.insert(node->entries.begin() + IndexOf(node->entry_map, bit), std::move(entry));
      ++size_;
      return;
    }
  }

  // Puts two entries with different keys into the empty node `node` at
  // `shift`, nesting further while their hashes agree.
  static void PlaceBoth(Node* node, Entry a, Entry b, int shift) {
    while (true) {
      if (IsCollisionLevel(shift)) {
        node->entries.push_back(std::move(a));
        node->entries.push_back(std::move(b));
        return;
      }
      const uint32_t bit_a = SlotBit(a.hash, shift);
      const uint32_t bit_b = SlotBit(b.hash, shift);
      if (bit_a != bit_b) {
        node->entry_map = bit_a | bit_b;
        if (bit_a < bit_b) {
          node->entries.push_back(std::move(a));
          node->entries.push_back(std::move(b));
        } else {
          node->entries.push_back(std::move(b));
          node->entries.push_back(std::move(a));
        }
        return;
      }
      auto child = std::make_shared<Node>();
      child->edit = node->edit;
      node->child_map = bit_a;
      node->children.push_back(child);
      node = child.get();
      shift += kBitsPerLevel;
    }
  }

  bool EraseWithEdit(absl::string_view key, uint64_t edit) {
    const uint64_t hash = HashOf(key);
    if (root_ == nullptr || FindEntry(*root_, hash, key) == nullptr) return false;
    EraseFrom(Editable(root_, edit), hash, key, 0, edit);
    --size_;
    if (root_->entries.empty() && root_->children.empty()) root_ = nullptr;
    return true;
  }

  // Removes `key`, known to be under `node`, and folds a child left with a
  // single entry and no children back into its parent.
  static void EraseFrom(Node* node, uint64_t hash, absl::string_view key, int shift,
                        uint64_t edit) {
    if (IsCollisionLevel(shift)) {
      for (auto it = node->entries.begin(); it != node->entries.end(); ++it) {
        if (it->key == key) {
          node->entries.erase(it);
          return;
        }
      }
      return;
    }
    const uint32_t bit = SlotBit(hash, shift);
    if (node->entry_map & bit) {
      node->entries.erase(node->entries.begin() + IndexOf(node->entry_map, bit));
      node->entry_map &= ~bit;
      return;
    }
    const size_t child_index = IndexOf(node->child_map, bit);
    Node* child = Editable(node->children[child_index], edit);
    EraseFrom(child, hash, key, shift + kBitsPerLevel, edit);
    if (!child->children.empty() || child->entries.size() > 1) return;
    Entry* single = child->entries.empty() ? nullptr : &child->entries.front();
    if (single != nullptr) {
      Entry moved = std::move(*single);
      node->entry_map |= bit;
      node->entries.insert(node->entries.begin() + IndexOf(node->entry_map, bit), std::move(moved));
    }
    node->children.erase(node->children.begin() + child_index);
    node->child_map &= ~bit;
  }

  template <typename F>
  static void ForEachIn(const Node& node, F& f) {
    for (const Entry& entry : node.entries) f(entry);
    for (const std::shared_ptr<Node>& child : node.children) ForEachIn(*child, f);
  }

  std::shared_ptr<Node> root_;  // null when empty
  size_t size_ = 0;
};

}  // namespace corsd

#endif  // CORSD_SERVICE_COMMON_PERSISTENT_MAP_H_
