/** Citations shared by the corruption files. */
export const MNIST_C = 'Mu & Gilmer, "MNIST-C: A Robustness Benchmark for Computer Vision", 2019. https://arxiv.org/abs/1906.02337';
export const IMAGENET_C =
  'Hendrycks & Dietterich, "Benchmarking Neural Network Robustness to Common Corruptions and Perturbations", ICLR 2019. https://arxiv.org/abs/1903.12261';
